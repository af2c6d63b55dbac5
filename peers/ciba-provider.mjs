// An oidc-provider 9.13.3 CIBA OP on 127.0.0.1 (ephemeral port) for our CIBA
// client's interop tests. It plays the person too: each request is decided a
// moment after it arrives, by its binding message: "deny..." is denied with
// AccessDenied, anything else approved with a saved Grant, both through
// provider.backchannelResult.
//
// Clients: poll-agent (poll) and ping-agent (ping), client_secret_basic with
// CLIENT_SECRET. The ping notification endpoint is registered as an https URL
// (the provider requires https) and rewritten in the fetch hook to RECEIVER,
// the test's loopback receiver, which the provider's SSRF guard would refuse.
//
// With CLIENT_JWKS (a public JWK Set) and USER_CODE, a third client,
// signed-agent (poll), must send signed authentication requests (ES256,
// CIBA Core 1.0 section 7.1.1, request objects verified with CLIENT_JWKS) and
// the user code USER_CODE (missing_user_code / invalid_user_code otherwise).
//
// Input (environment): CLIENT_SECRET, RECEIVER, optionally CLIENT_JWKS and
// USER_CODE. Output: one JSON line with the issuer once listening; then the
// process serves until it is killed.
import http from 'node:http';
import Provider, { errors } from 'oidc-provider';

const secret = process.env.CLIENT_SECRET;
const receiver = process.env.RECEIVER;
if (!secret || !receiver) throw new Error('CLIENT_SECRET and RECEIVER are required');
const clientJwks = process.env.CLIENT_JWKS ? JSON.parse(process.env.CLIENT_JWKS) : undefined;
const userCode = process.env.USER_CODE;
const registeredNotify = 'https://agent.example/ciba/notify';

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

let provider;
const ciba = {
  grant_types: ['urn:openid:params:grant-type:ciba'],
  response_types: [],
  redirect_uris: [],
  client_secret: secret,
  token_endpoint_auth_method: 'client_secret_basic',
};
provider = new Provider(issuer, {
  clients: [
    { ...ciba, client_id: 'poll-agent', backchannel_token_delivery_mode: 'poll' },
    {
      ...ciba,
      client_id: 'ping-agent',
      backchannel_token_delivery_mode: 'ping',
      backchannel_client_notification_endpoint: registeredNotify,
    },
    ...(clientJwks
      ? [{
        ...ciba,
        client_id: 'signed-agent',
        backchannel_token_delivery_mode: 'poll',
        jwks: clientJwks,
        backchannel_authentication_request_signing_alg: 'ES256',
        backchannel_user_code_parameter: true,
      }]
      : []),
  ],
  findAccount: (ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: id, email: `${id}@acme.example` }),
  }),
  claims: { openid: ['sub'], email: ['email'] },
  features: {
    devInteractions: { enabled: false },
    requestObjects: { enabled: true },
    ciba: {
      enabled: true,
      deliveryModes: ['poll', 'ping'],
      processLoginHint: (ctx, hint) => (hint === 'sarah' ? 'user-sarah' : undefined),
      processLoginHintToken: () => undefined,
      verifyUserCode: (ctx, account, code) => {
        if (ctx.oidc.client.clientId !== 'signed-agent') return;
        if (!code) throw new errors.MissingUserCode('the user code is required');
        if (code !== userCode) throw new errors.InvalidUserCode('the user code is invalid');
      },
      validateRequestContext: () => undefined,
      triggerAuthenticationDevice: async (ctx, request, account, client) => {
        setTimeout(async () => {
          try {
            if ((request.params.binding_message ?? '').startsWith('deny')) {
              await provider.backchannelResult(request, new errors.AccessDenied('the user said no'));
            } else {
              const grant = new provider.Grant({ accountId: account.accountId, clientId: client.clientId });
              grant.addOIDCScope(request.params.scope);
              await grant.save();
              await provider.backchannelResult(request, grant);
            }
          } catch (error) {
            process.stderr.write(`decision failed: ${error}\n`);
          }
        }, 200);
      },
    },
  },
  // Honour requested_expiry (a fixed ttl would ignore it).
  ttl: {
    BackchannelAuthenticationRequest: (ctx) => Math.min(600, +(ctx?.oidc?.params.requested_expiry ?? 600)),
  },
  fetch: (url, options) => {
    const target = String(url) === registeredNotify ? receiver : url;
    // The test's receiver is on loopback, which the SSRF guard refuses by design.
    delete options.dispatcher;
    return globalThis.fetch(target, options);
  },
});
provider.on('server_error', (ctx, error) => process.stderr.write(`server_error: ${error}\n`));
server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
