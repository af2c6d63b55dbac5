// oidc-provider 9.13.3 as the authorization server of an MCP resource, for the
// MCP SDK code-flow check: open dynamic client registration (RFC 7591), PKCE
// required, resource indicators (RFC 8707) with RFC 9068 JWT access tokens
// (`typ: at+jwt`, ES256) for the MCP server, and a login form at
// /interaction/<uid> that a headless browser fills in. Consent is given for
// exactly the scopes asked, so a step-up needs a new authorization.
// Registration policy: a registered client may use every scope of the MCP
// resource (the SDK registers with the scope of its first challenge and steps
// up later with the same registration).
// Prints {"issuer": "..."} once listening, then serves until killed.
//
// Input (environment): PORT, RESOURCE (the MCP server's resource URL),
// SCOPES (the resource's scopes, space-separated), USERNAME and PASSWORD (the one account).
import http from 'node:http';
import * as jose from 'jose';
import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
};
const port = Number(env('PORT'));
const resource = env('RESOURCE');
const resourceScopes = env('SCOPES');
const username = env('USERNAME');
const password = env('PASSWORD');
const issuer = `http://127.0.0.1:${port}`;

const key = await jose.exportJWK((await jose.generateKeyPair('ES256', { extractable: true })).privateKey);
key.kid = 'mcp-as';
key.alg = 'ES256';

const provider = new Provider(issuer, {
  jwks: { keys: [key] },
  scopes: ['openid', ...resourceScopes.split(' ')],
  clientDefaults: {
    grant_types: ['authorization_code'],
    id_token_signed_response_alg: 'ES256',
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  },
  // Registration policy: every registered client may ask for every scope of the resource.
  extraClientMetadata: {
    properties: ['mcp_scope_policy'],
    validator(ctx, name, value, metadata) {
      if (name === 'mcp_scope_policy') metadata.scope = resourceScopes;
    },
  },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, indicator) => {
        if (indicator !== resource) throw new Provider.errors.InvalidTarget();
        return {
          scope: resourceScopes,
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, Interaction: 600, Session: 3600 },
});
provider.on('server_error', (ctx, err) => process.stderr.write(`server_error: ${err.stack}\n`));
provider.on('authorization.error', (ctx, err) => process.stderr.write(`authorization.error: ${err.message} ${err.error_description ?? ''}\n`));
provider.on('grant.error', (ctx, err) => process.stderr.write(`grant.error: ${err.message} ${err.error_description ?? ''}\n`));
provider.on('registration_create.error', (ctx, err) => process.stderr.write(`registration error: ${err.message} ${err.error_description ?? ''}\n`));

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const loginPage = (uid, error) => `<!doctype html><html><body><h1>Sign in</h1>${error ? `<p>${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<input type="hidden" name="uid" value="${escape(uid)}">
<input name="username"><input name="password" type="password"><button>Sign in</button></form></body></html>`;

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

/** Consent for exactly the scopes the request asks (no more, so step-up is real). */
async function consent(req, res, details) {
  const { prompt, params, session, grantId } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

const server = http.createServer(async (req, res) => {
  try {
    const login = /^\/interaction\/([^/]+)\/login$/.exec(req.url);
    if (req.method === 'POST' && login) {
      const form = await readForm(req);
      if (form.get('username') !== username || form.get('password') !== password) {
        res.writeHead(401, { 'content-type': 'text/html' }).end(loginPage(login[1], 'wrong username or password'));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: username, amr: ['pwd'] } }, { mergeWithLastSubmission: false });
      return;
    }
    if (req.method === 'GET' && /^\/interaction\/[^/]+$/.test(req.url)) {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(loginPage(details.uid));
        return;
      }
      await consent(req, res, details);
      return;
    }
    provider.callback()(req, res);
  } catch (err) {
    process.stderr.write(`interaction error: ${err.stack}\n`);
    res.writeHead(500).end();
  }
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ issuer })}\n`));
