// oidc-provider 9.13.3 on 127.0.0.1 (ephemeral port) issuing ES256-signed JWT
// access tokens (RFC 9068) to a confidential client by client_credentials, for
// the `authority` benchmark group. Prints {"issuer": "..."} once listening.
//
// Input (environment): CLIENT_SECRET, RESOURCE (the resource indicator).
import * as jose from 'jose';
import Provider from 'oidc-provider';

const secret = process.env.CLIENT_SECRET;
const resource = process.env.RESOURCE;
if (!secret || !resource) throw new Error('CLIENT_SECRET and RESOURCE are required');

const key = await jose.exportJWK((await jose.generateKeyPair('ES256', { extractable: true })).privateKey);
key.kid = 'bench';
key.alg = 'ES256';

const provider = new Provider('http://127.0.0.1', {
  clients: [
    {
      client_id: 'bench-agent',
      client_secret: secret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
      scope: 'reports:read',
    },
  ],
  jwks: { keys: [key] },
  scopes: ['reports:read'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'reports:read',
        audience: resource,
        accessTokenFormat: 'jwt',
        accessTokenTTL: 600,
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});

const server = provider.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ issuer: `http://127.0.0.1:${server.address().port}` })}\n`);
});
