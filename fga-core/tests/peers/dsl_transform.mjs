// Reads a JSON array of DSL models on stdin; prints, for each, the official
// @openfga/syntax-transformer's JSON and its DSL rendering of that JSON.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.PEERS_DIR, "package.json"));
const { transformer } = require("@openfga/syntax-transformer");

let input = "";
for await (const chunk of process.stdin) input += chunk;
const models = JSON.parse(input);
const out = models.map((dsl) => {
  const json = transformer.transformDSLToJSONObject(dsl);
  return { json, dsl: transformer.transformJSONToDSL(json) };
});
process.stdout.write(JSON.stringify(out));
