// oidc-provider 9.13.3 issuing DPoP-bound access tokens (RFC 9449,
// `features.dPoP` with server nonces required) by client credentials: RFC 9068
// JWT access tokens (ES256) for one resource, bound with `cnf.jkt` when the
// token request carries a proof. Prints {"issuer": "..."} once listening, then
// serves until killed.
//
// Input (environment): PORT, RESOURCE (the MCP server's resource URL), SCOPES
// (space-separated), CLIENT_ID and CLIENT_SECRET (the one confidential client).
import crypto from 'node:crypto';
import * as jose from 'jose';
import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
};
const port = Number(env('PORT'));
const resource = env('RESOURCE');
const scopes = env('SCOPES');
const issuer = `http://127.0.0.1:${port}`;

const key = await jose.exportJWK((await jose.generateKeyPair('ES256', { extractable: true })).privateKey);
key.kid = 'dpop-as';
key.alg = 'ES256';

const provider = new Provider(issuer, {
  jwks: { keys: [key] },
  scopes: scopes.split(' '),
  clients: [{
    client_id: env('CLIENT_ID'),
    client_secret: env('CLIENT_SECRET'),
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
    scope: scopes,
  }],
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: false },
    dPoP: {
      enabled: true,
      nonceSecret: crypto.randomBytes(32),
      requireNonce: () => true,
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, indicator) => {
        if (indicator !== resource) throw new Provider.errors.InvalidTarget();
        return {
          scope: scopes,
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
});
provider.on('server_error', (ctx, err) => process.stderr.write(`server_error: ${err.stack}\n`));
provider.on('grant.error', (ctx, err) => process.stderr.write(`grant.error: ${err.message} ${err.error_description ?? ''}\n`));

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
