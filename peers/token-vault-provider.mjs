// A third-party OAuth provider for the token-vault-client tests: oidc-provider
// 9.13.3 with refresh-token rotation, a resource server with calendar scopes,
// and a Map adapter the test can empty (the user revoking the app).
//
// Protocol (one command per stdin line, one answer per stdout line):
//   startup            -> ISSUER <url>
//   AUTHORIZE <url>    -> CALLBACK <redirect url with code and state>
//                         (headless user agent: follows redirects, keeps cookies,
//                         signs in with the dev login form, grants consent)
//   REVOKE_ALL         -> REVOKED <count>  (drops every grant and token)
// Input (environment): REDIRECT_URI, CLIENT_ID, CLIENT_SECRET, USER_LOGIN.
import http from 'node:http';
import readline from 'node:readline';
import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
};
const redirectUri = env('REDIRECT_URI');
const RESOURCE = 'https://calendar.example/api';

const store = new Map();
class MapAdapter {
  constructor(name) { this.name = name; }
  key(id) { return `${this.name}:${id}`; }
  async upsert(id, payload) {
    store.set(this.key(id), payload);
    if (payload.uid) store.set(`uid:${payload.uid}`, id);
  }
  async find(id) { return store.get(this.key(id)); }
  async findByUid(uid) { const id = store.get(`uid:${uid}`); return id ? this.find(id) : undefined; }
  async findByUserCode() { return undefined; }
  async consume(id) { const p = store.get(this.key(id)); if (p) p.consumed = Math.floor(Date.now() / 1000); }
  async destroy(id) { store.delete(this.key(id)); }
  async revokeByGrantId(grantId) {
    for (const [k, v] of store) if (v && v.grantId === grantId) store.delete(k);
  }
}

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients: [{
    client_id: env('CLIENT_ID'),
    client_secret: env('CLIENT_SECRET'),
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  scopes: ['openid', 'offline_access', 'calendar.readonly', 'calendar.events'],
  rotateRefreshToken: true,
  findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'calendar.readonly calendar.events',
        accessTokenFormat: 'opaque',
        accessTokenTTL: 60,
      }),
    },
  },
  issueRefreshToken: async (_ctx, client, code) =>
    client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  ttl: { RefreshToken: 86400, Grant: 86400, Session: 86400, Interaction: 600, AuthorizationCode: 60 },
});
provider.on('server_error', (_ctx, err) => process.stderr.write(`provider error: ${err.stack}\n`));
server.on('request', provider.callback());

// Headless user agent: cookies by name, redirects by hand, forms filled in.
async function authorize(url) {
  const jar = new Map();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const keep = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
  };
  let next = { url, method: 'GET', body: undefined };
  for (let step = 0; step < 20; step += 1) {
    const res = await fetch(next.url, {
      method: next.method,
      redirect: 'manual',
      headers: {
        cookie: cookieHeader(),
        ...(next.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: next.body,
    });
    keep(res);
    if (res.status >= 300 && res.status < 400) {
      const location = new URL(res.headers.get('location'), next.url).href;
      if (location.startsWith(redirectUri)) return location;
      next = { url: location, method: 'GET' };
      continue;
    }
    const page = await res.text();
    if (res.status !== 200) throw new Error(`authorization step answered ${res.status}: ${page.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(page)?.[1];
    if (!action || !prompt) throw new Error(`no interaction form: ${page.slice(0, 300)}`);
    const form = new URLSearchParams({ prompt });
    if (prompt === 'login') {
      form.set('login', env('USER_LOGIN'));
      form.set('password', 'any password');
    }
    next = { url: new URL(action.replaceAll('&amp;', '&'), next.url).href, method: 'POST', body: form.toString() };
  }
  throw new Error('too many authorization steps');
}

process.stdout.write(`ISSUER ${issuer}\n`);
const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  const [command, arg] = line.trim().split(' ');
  try {
    if (command === 'AUTHORIZE') {
      process.stdout.write(`CALLBACK ${await authorize(arg)}\n`);
    } else if (command === 'ACTIVE') {
      const token = await provider.AccessToken.find(arg);
      process.stdout.write(`ACTIVE ${token ? 'yes' : 'no'}\n`);
    } else if (command === 'REVOKE_ALL') {
      let n = 0;
      for (const k of [...store.keys()]) {
        if (/^(Grant|RefreshToken|AccessToken|Session):/.test(k)) { store.delete(k); n += 1; }
      }
      process.stdout.write(`REVOKED ${n}\n`);
    } else {
      process.stdout.write(`ERROR unknown command\n`);
    }
  } catch (err) {
    process.stdout.write(`ERROR ${String(err.message).replaceAll('\n', ' ')}\n`);
  }
}
server.close();
