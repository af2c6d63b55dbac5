// Drives an OpenFGA HTTP API at process.argv[2] with the official @openfga/sdk client.
// Exits non-zero on the first assertion that fails.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.PEERS_DIR, "package.json"));
const { OpenFgaClient } = require("@openfga/sdk");
const { transformer } = require("@openfga/syntax-transformer");

const apiUrl = process.argv[2];
function assert(condition, message, got) {
  if (!condition) {
    console.error(`FAIL ${message}: ${JSON.stringify(got)}`);
    process.exit(1);
  }
  console.log(`ok ${message}`);
}

const model = transformer.transformDSLToJSONObject(`model
  schema 1.1

type user

type group
  relations
    define member: [user]

type document
  relations
    define parent: [folder]
    define viewer: [user, group#member, user:* with in_hours] or viewer from parent

type folder
  relations
    define viewer: [user]

condition in_hours(hour: int) {
  hour >= 9 && hour < 17
}
`);

const admin = new OpenFgaClient({ apiUrl });
const store = await admin.createStore({ name: "interop" });
assert(typeof store.id === "string" && store.id.length > 0, "create store", store);

const storeClient = new OpenFgaClient({ apiUrl, storeId: store.id });
const written = await storeClient.writeAuthorizationModel(model);
assert(typeof written.authorization_model_id === "string", "write model", written);

const fga = new OpenFgaClient({
  apiUrl,
  storeId: store.id,
  authorizationModelId: written.authorization_model_id,
});
const read = await fga.readAuthorizationModel();
assert(read.authorization_model.type_definitions.length === 4, "read model", read);

await fga.write({
  writes: [
    { user: "user:anne", relation: "member", object: "group:eng" },
    { user: "group:eng#member", relation: "viewer", object: "document:spec" },
    { user: "user:bob", relation: "viewer", object: "folder:plans" },
    { user: "folder:plans", relation: "parent", object: "document:roadmap" },
    { user: "user:*", relation: "viewer", object: "document:handbook", condition: { name: "in_hours" } },
  ],
});

let r = await fga.check({ user: "user:anne", relation: "viewer", object: "document:spec" });
assert(r.allowed === true, "check through group", r);
r = await fga.check({ user: "user:bob", relation: "viewer", object: "document:spec" });
assert(r.allowed === false, "check denied", r);
r = await fga.check({ user: "user:bob", relation: "viewer", object: "document:roadmap" });
assert(r.allowed === true, "check through parent folder", r);
r = await fga.check({ user: "user:carl", relation: "viewer", object: "document:handbook", context: { hour: 10 } });
assert(r.allowed === true, "check with condition context", r);
r = await fga.check({ user: "user:carl", relation: "viewer", object: "document:handbook", context: { hour: 20 } });
assert(r.allowed === false, "check with condition false", r);
r = await fga.check({
  user: "user:dana",
  relation: "viewer",
  object: "document:spec",
  contextualTuples: [{ user: "user:dana", relation: "member", object: "group:eng" }],
});
assert(r.allowed === true, "check with contextual tuple", r);

let failed = false;
try {
  await fga.write({ writes: [{ user: "document:spec", relation: "member", object: "group:eng" }] });
} catch (e) {
  failed = true;
}
assert(failed, "invalid tuple rejected", null);

const batch = await fga.batchCheck({
  checks: [
    { user: "user:anne", relation: "viewer", object: "document:spec", correlationId: "a" },
    { user: "user:anne", relation: "viewer", object: "document:roadmap", correlationId: "b" },
  ],
});
const byId = Object.fromEntries(batch.result.map((x) => [x.correlationId, x.allowed]));
assert(byId.a === true && byId.b === false, "batch check", batch.result);

const objects = await fga.listObjects({
  user: "user:bob",
  relation: "viewer",
  type: "document",
  context: { hour: 10 },
});
assert(
  JSON.stringify(objects.objects.sort()) === JSON.stringify(["document:handbook", "document:roadmap"]),
  "list objects",
  objects,
);

const users = await fga.listUsers({
  object: { type: "document", id: "spec" },
  relation: "viewer",
  user_filters: [{ type: "user" }],
});
const names = users.users.map((u) => (u.object ? `${u.object.type}:${u.object.id}` : JSON.stringify(u))).sort();
assert(JSON.stringify(names) === JSON.stringify(["user:anne"]), "list users", users);

const tuples = await fga.read({ object: "document:spec" });
assert(tuples.tuples.length === 1 && tuples.tuples[0].key.user === "group:eng#member", "read", tuples);

console.log("interop complete");
