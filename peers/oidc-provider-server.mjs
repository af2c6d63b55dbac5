// An oidc-provider 9.13.3 instance on 127.0.0.1 (ephemeral port) for our login
// client's interop tests. Prints {"issuer": "..."} once listening, then serves
// until killed.
//
// Input (environment): RP_REDIRECT_URI, RP_SECRET, AGENT_JWKS (public JWK Set
// JSON of the private_key_jwt client), ACCOUNT (the subject logged in headlessly).
// Headless interaction: /interaction/<uid> completes login and consent at once.
// Device authorization grant (RFC 8628, `features.deviceFlow`): the public
// client `device` asks for codes; the user enters the code on oidc-provider's
// own verification pages (/device), then the headless interaction logs in.
// Test route: POST /test/rotate-keys swaps to a provider whose first (signing)
// key is new; the old key stays published. Both share the memory adapter, so
// sessions, grants and refresh tokens survive the swap.
import http from 'node:http';
import * as jose from 'jose';
import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
};

const account = env('ACCOUNT');
const keyA = await jose.exportJWK((await jose.generateKeyPair('ES256', { extractable: true })).privateKey);
const keyB = await jose.exportJWK((await jose.generateKeyPair('ES256', { extractable: true })).privateKey);
keyA.kid = 'key-a';
keyA.alg = 'ES256';
keyB.kid = 'key-b';
keyB.alg = 'ES256';

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

// One store for both provider instances (oidc-provider's default memory
// adapter is per instance).
const store = new Map();
class SharedAdapter {
  constructor(model) {
    this.model = model;
  }
  key(id) {
    return `${this.model}:${id}`;
  }
  async upsert(id, payload, expiresIn) {
    store.set(this.key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
    if (payload.grantId) {
      const grantKey = `grant:${payload.grantId}`;
      store.set(grantKey, [...(store.get(grantKey) ?? []), this.key(id)]);
    }
    if (payload.uid) store.set(`uid:${payload.uid}`, id);
    if (payload.userCode) store.set(`userCode:${payload.userCode}`, id);
  }
  async find(id) {
    const entry = store.get(this.key(id));
    if (!entry || (entry.expiresAt && entry.expiresAt < Date.now())) return undefined;
    return entry.payload;
  }
  async findByUid(uid) {
    const id = store.get(`uid:${uid}`);
    return id ? this.find(id) : undefined;
  }
  async findByUserCode(userCode) {
    const id = store.get(`userCode:${userCode}`);
    return id ? this.find(id) : undefined;
  }
  async consume(id) {
    const entry = store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) {
    store.delete(this.key(id));
  }
  async revokeByGrantId(grantId) {
    for (const key of store.get(`grant:${grantId}`) ?? []) store.delete(key);
    store.delete(`grant:${grantId}`);
  }
}

function makeProvider(keys) {
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'rp',
        client_secret: env('RP_SECRET'),
        redirect_uris: [env('RP_REDIRECT_URI')],
        post_logout_redirect_uris: [env('RP_REDIRECT_URI')],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
      {
        client_id: 'agent',
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        id_token_signed_response_alg: 'ES256',
        jwks: JSON.parse(env('AGENT_JWKS')),
        scope: 'reports:read',
      },
      {
        client_id: 'device',
        client_name: 'Device agent',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'none',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys },
    adapter: SharedAdapter,
    scopes: ['openid', 'offline_access', 'reports:read'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
    },
    findAccount: async (ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, email: `${sub}@example.test`, email_verified: true }),
    }),
    pkce: { required: () => true },
    ttl: { AccessToken: 600, IdToken: 600, RefreshToken: 3600, ClientCredentials: 600 },
    rotateRefreshToken: true,
  });
  provider.on('grant.error', (ctx, err) => process.stderr.write(`grant.error: ${err.message} ${err.error_detail ?? ''}\n`));
  provider.on('server_error', (ctx, err) => process.stderr.write(`server_error: ${err.stack}\n`));
  return provider;
}

let current = makeProvider([keyA]);
const rotated = makeProvider([keyB, keyA]);

server.on('request', async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/test/rotate-keys') {
      current = rotated;
      res.writeHead(204).end();
      return;
    }
    if (req.url.startsWith('/interaction/')) {
      const details = await current.interactionDetails(req, res);
      const result = {};
      if (details.prompt.name === 'login') {
        result.login = { accountId: account, acr: 'urn:test:pwd', amr: ['pwd'] };
      }
      const grant = details.grantId
        ? await current.Grant.find(details.grantId)
        : new current.Grant({ accountId: account, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      result.consent = { grantId: await grant.save() };
      await current.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
      return;
    }
    current.callback()(req, res);
  } catch (err) {
    process.stderr.write(`test server error: ${err.stack}\n`);
    res.writeHead(500).end();
  }
});

process.stdout.write(JSON.stringify({ issuer }) + '\n');
