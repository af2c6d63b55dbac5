// Drives our authorities' token endpoints with openid-client's genericGrantRequest:
// RFC 8693 token exchange for an ID-JAG at the IdP, the RFC 7523 jwt-bearer grant
// with that ID-JAG at the pricing authorization server, a replay, a denied scope,
// and an RFC 8693 delegation with an actor token. Access tokens are verified with
// jose against the issuers' JWKS.
//
// Input (environment): IDP_ISSUER, PRICING_ISSUER, AGENT_ID, AGENT_SECRET,
// REMOTE_ID, REMOTE_SECRET, ID_TOKEN, SUBJECT_TOKEN, ACTOR_TOKEN, RESOURCE.
// Output: one JSON object on stdout; any failed step throws (non-zero exit).
import * as client from 'openid-client';
import * as jose from 'jose';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
};
const insecure = { execute: [client.allowInsecureRequests] };
const TE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TT = (t) => `urn:ietf:params:oauth:token-type:${t}`;
const out = {};

const errorCode = async (promise) => {
  try {
    await promise;
  } catch (e) {
    return e.error ?? e.code ?? String(e);
  }
  throw new Error('the request was expected to fail');
};

const idpIssuer = env('IDP_ISSUER');
const pricingIssuer = env('PRICING_ISSUER');
const idp = await client.discovery(
  new URL(idpIssuer),
  env('AGENT_ID'),
  undefined,
  client.ClientSecretBasic(env('AGENT_SECRET')),
  insecure,
);
out.idp_chaining = idp.serverMetadata().identity_chaining_requested_token_types_supported;

// Step one: ID token -> ID-JAG.
const jag = await client.genericGrantRequest(idp, TE, {
  subject_token: env('ID_TOKEN'),
  subject_token_type: TT('id_token'),
  requested_token_type: TT('id-jag'),
  audience: pricingIssuer,
  resource: env('RESOURCE'),
  scope: 'pricing:read',
});
out.jag_token_type = jag.token_type;
out.jag_issued_token_type = jag.issued_token_type;
const jagHeader = jose.decodeProtectedHeader(jag.access_token);
out.jag_typ = jagHeader.typ;
const idpKeys = jose.createRemoteJWKSet(new URL(`${idpIssuer}/jwks`));
const { payload: jagClaims } = await jose.jwtVerify(jag.access_token, idpKeys, {
  issuer: idpIssuer,
  audience: pricingIssuer,
  typ: 'oauth-id-jag+jwt',
});
out.jag_client_id = jagClaims.client_id;
out.jag_scope = jagClaims.scope;

out.write_error = await errorCode(
  client.genericGrantRequest(idp, TE, {
    subject_token: env('ID_TOKEN'),
    subject_token_type: TT('id_token'),
    requested_token_type: TT('id-jag'),
    audience: pricingIssuer,
    scope: 'pricing:write',
  }),
);

// Step two: ID-JAG -> access token at the pricing authorization server.
const pricing = await client.discovery(
  new URL(pricingIssuer),
  env('REMOTE_ID'),
  undefined,
  client.ClientSecretPost(env('REMOTE_SECRET')),
  insecure,
);
out.pricing_profiles = pricing.serverMetadata().authorization_grant_profiles_supported;
const at = await client.genericGrantRequest(pricing, JWT_BEARER, { assertion: jag.access_token });
out.at_token_type = at.token_type;
out.at_has_refresh_token = at.refresh_token !== undefined;
const pricingKeys = jose.createRemoteJWKSet(new URL(`${pricingIssuer}/jwks`));
const { payload: atClaims } = await jose.jwtVerify(at.access_token, pricingKeys, {
  issuer: pricingIssuer,
  audience: env('RESOURCE'),
  typ: 'at+jwt',
});
out.at_sub = atClaims.sub;
out.at_scope = atClaims.scope;
out.at_client_id = atClaims.client_id;
out.replay_error = await errorCode(
  client.genericGrantRequest(pricing, JWT_BEARER, { assertion: jag.access_token }),
);

// RFC 8693 delegation at the IdP: Sarah's access token, the agent as actor.
const delegated = await client.genericGrantRequest(idp, TE, {
  subject_token: env('SUBJECT_TOKEN'),
  subject_token_type: TT('access_token'),
  actor_token: env('ACTOR_TOKEN'),
  actor_token_type: TT('access_token'),
  scope: 'crm:read',
});
out.delegated_issued_token_type = delegated.issued_token_type;
const { payload: delegatedClaims } = await jose.jwtVerify(delegated.access_token, idpKeys, {
  issuer: idpIssuer,
  typ: 'at+jwt',
});
out.delegated_sub = delegatedClaims.sub;
out.delegated_act = delegatedClaims.act;
out.delegated_scope = delegatedClaims.scope;
out.widen_error = await errorCode(
  client.genericGrantRequest(idp, TE, {
    subject_token: env('SUBJECT_TOKEN'),
    subject_token_type: TT('access_token'),
    scope: 'crm:admin',
  }),
);

console.log(JSON.stringify(out));
