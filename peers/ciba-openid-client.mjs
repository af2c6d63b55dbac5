// Drives our reference CIBA OP with openid-client (an independent, certified
// relying party library): discovery, initiateBackchannelAuthentication and
// pollBackchannelAuthenticationGrant, three times: approved, denied, expired.
//
// Input (environment): ISSUER, CLIENT_ID, CLIENT_SECRET, LOGIN_HINT.
// The test decides each request by its binding message (approve, deny, expire).
// Output: one JSON object on stdout with what each case observed.
import * as client from 'openid-client';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
};
const out = {};
const config = await client.discovery(
  new URL(env('ISSUER')),
  env('CLIENT_ID'),
  undefined,
  client.ClientSecretBasic(env('CLIENT_SECRET')),
  { execute: [client.allowInsecureRequests] },
);
out.backchannel_endpoint = config.serverMetadata().backchannel_authentication_endpoint;

async function run(message, extra = {}) {
  const started = await client.initiateBackchannelAuthentication(config, {
    scope: 'openid email:send crm:update',
    login_hint: env('LOGIN_HINT'),
    binding_message: message,
    authorization_details: JSON.stringify([{ type: 'proposal', identifier: 'Acme Corp', amount: 450000 }]),
    ...extra,
  });
  const result = { expires_in: started.expires_in, interval: started.interval };
  try {
    // Poll past the client-side deadline so the OP's own expiry answer is seen.
    const tokens = await client.pollBackchannelAuthenticationGrant(config, started, undefined, {
      signal: AbortSignal.timeout(30000),
    });
    const claims = tokens.claims();
    result.outcome = 'approved';
    result.scope = tokens.scope;
    result.sub = claims.sub;
    result.aud = claims.aud;
    result.authorization_details = tokens.authorization_details ?? null;
  } catch (error) {
    result.outcome = 'error';
    result.error = error.error ?? error.code ?? String(error);
  }
  return result;
}

out.approve = await run('approve');
out.deny = await run('deny');
out.expire = await run('expire', { requested_expiry: '2' });
process.stdout.write(`${JSON.stringify(out)}\n`);
