// Sends a signed CIBA authentication request (CIBA Core 1.0 section 7.1.1) to
// our reference OP with openid-client: the request object is issued by its
// JAR helper (buildAuthorizationUrlWithJAR, typ oauth-authz-req+jwt, signed
// with the client's ES256 key), then passed as the `request` parameter of
// initiateBackchannelAuthentication and polled to the end. The same object
// is sent once more, to see the OP refuse the replay.
//
// Input (environment): ISSUER, CLIENT_ID, CLIENT_SECRET, LOGIN_HINT,
// USER_CODE, PRIVATE_KEY_PEM (PKCS#8), KID. Output: one JSON object on stdout.
import * as client from 'openid-client';
import { importPKCS8 } from 'jose';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
};
const config = await client.discovery(
  new URL(env('ISSUER')),
  env('CLIENT_ID'),
  undefined,
  client.ClientSecretBasic(env('CLIENT_SECRET')),
  { execute: [client.allowInsecureRequests] },
);
const key = await importPKCS8(env('PRIVATE_KEY_PEM'), 'ES256');
const jar = await client.buildAuthorizationUrlWithJAR(
  config,
  {
    scope: 'openid email:send',
    login_hint: env('LOGIN_HINT'),
    binding_message: 'signed',
    user_code: env('USER_CODE'),
  },
  { key, kid: env('KID') },
);
const request = jar.searchParams.get('request');
const out = {};
const started = await client.initiateBackchannelAuthentication(config, { request });
try {
  const tokens = await client.pollBackchannelAuthenticationGrant(config, started, undefined, {
    signal: AbortSignal.timeout(30000),
  });
  out.outcome = 'approved';
  out.scope = tokens.scope;
  out.sub = tokens.claims().sub;
} catch (error) {
  out.outcome = 'error';
  out.error = error.error ?? error.code ?? String(error);
}
try {
  await client.initiateBackchannelAuthentication(config, { request });
  out.replay = 'accepted';
} catch (error) {
  out.replay = error.error ?? error.code ?? String(error);
}
process.stdout.write(`${JSON.stringify(out)}\n`);
