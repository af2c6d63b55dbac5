// Drives our reference authority's device authorization grant (RFC 8628)
// with openid-client (an independent, certified client library): discovery,
// initiateDeviceAuthorization and pollDeviceAuthorizationGrant.
//
// Input (environment): ISSUER, CLIENT_ID (a public client).
// Output: one JSON line with the codes (the test approves them as the user),
// then one JSON line with what the poll observed.
import * as client from 'openid-client';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
};
const config = await client.discovery(
  new URL(env('ISSUER')),
  env('CLIENT_ID'),
  undefined,
  client.None(),
  { execute: [client.allowInsecureRequests] },
);
const started = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
process.stdout.write(`${JSON.stringify({
  device_authorization_endpoint: config.serverMetadata().device_authorization_endpoint,
  user_code: started.user_code,
  verification_uri_complete: started.verification_uri_complete,
  interval: started.interval,
})}\n`);
const result = {};
try {
  const tokens = await client.pollDeviceAuthorizationGrant(config, started, undefined, {
    signal: AbortSignal.timeout(30000),
  });
  result.outcome = 'approved';
  result.sub = tokens.claims().sub;
  result.token_type = tokens.token_type;
} catch (error) {
  result.outcome = 'error';
  result.error = error.error ?? error.code ?? String(error);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
