// Drives our reference authority's HTTP face with openid-client (an independent,
// certified relying party library). Headless: the login form is filled in by
// this script and redirects are followed by hand.
//
// Input (environment): ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, USERNAME,
// PASSWORD, AGENT_CLIENT_ID, AGENT_KEY_PEM (PKCS#8, ES256), AGENT_KEY_KID, RESOURCE.
// Output: one JSON object on stdout with what each step observed. Any failed
// check throws, which exits non-zero with the error on stderr.
import * as client from 'openid-client';
import * as jose from 'jose';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
};
const issuer = env('ISSUER');
const redirectUri = env('REDIRECT_URI');
const insecure = { execute: [client.allowInsecureRequests] };
const out = {};

const config = await client.discovery(
  new URL(issuer),
  env('CLIENT_ID'),
  undefined,
  client.ClientSecretBasic(env('CLIENT_SECRET')),
  insecure,
);
out.discovered_issuer = config.serverMetadata().issuer;

// Authorization code + PKCE.
const codeVerifier = client.randomPKCECodeVerifier();
const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
const state = client.randomState();
const nonce = client.randomNonce();
const authUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: 'openid profile email offline_access',
  code_challenge: codeChallenge,
  code_challenge_method: 'S256',
  state,
  nonce,
});
// Plays the browser: the authorization page, then the login form.
async function logIn(url) {
  const page = await fetch(url, { redirect: 'manual' });
  if (page.status !== 200) throw new Error(`authorize answered ${page.status}`);
  // The cookie that binds the login to this browser (login CSRF defence).
  const browser = (page.headers.get('set-cookie') ?? '').split(';')[0];
  const html = await page.text();
  const interaction = /name="interaction" value="([^"]+)"/.exec(html)?.[1];
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!interaction || !action) throw new Error('no login form on the authorization page');
  const res = await fetch(action.replaceAll('&amp;', '&'), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browser },
    body: new URLSearchParams({ interaction, username: env('USERNAME'), password: env('PASSWORD') }),
  });
  if (res.status !== 303) throw new Error(`login answered ${res.status}`);
  return { callback: new URL(res.headers.get('location')), cookie: res.headers.get('set-cookie') ?? '' };
}
const { callback, cookie } = await logIn(authUrl);
out.callback_has_iss = callback.searchParams.get('iss') === issuer;
out.session_cookie_http_only = /HttpOnly/i.test(cookie);

const tokens = await client.authorizationCodeGrant(config, callback, {
  pkceCodeVerifier: codeVerifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
});
const claims = tokens.claims();
out.id_token = { sub: claims.sub, nonce: claims.nonce, azp: claims.azp, acr: claims.acr, has_at_hash: !!claims.at_hash, has_sid: !!claims.sid };
out.has_refresh_token = !!tokens.refresh_token;

// The access token, checked by jose against the published JWKS (RFC 9068 typ).
const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri), { [jose.customFetch]: fetch });
const { payload: at, protectedHeader } = await jose.jwtVerify(tokens.access_token, jwks, {
  issuer,
  audience: issuer,
  typ: 'at+jwt',
});
out.access_token = { typ: protectedHeader.typ, client_id: at.client_id, sub: at.sub };

const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
out.userinfo = { sub: userinfo.sub, email: userinfo.email };

const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
out.refresh = {
  new_refresh_token: !!refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token,
  id_token_sub: refreshed.claims()?.sub,
};
// Reusing the rotated refresh token fails (and kills the family).
try {
  await client.refreshTokenGrant(config, tokens.refresh_token);
  out.reuse_refused = false;
} catch (e) {
  out.reuse_refused = e.error === 'invalid_grant';
}

const fresh = await client.refreshTokenGrant(config, refreshed.refresh_token).catch((e) => e);
out.family_revoked_after_reuse = fresh.error === 'invalid_grant';

// A second login (the SSO session cookie is not sent: a new interaction).
const introspected = await client.tokenIntrospection(config, refreshed.access_token);
out.introspection_after_family_revocation = introspected.active;

// Client credentials with private_key_jwt (RFC 7523), then introspection and revocation.
const key = await jose.importPKCS8(env('AGENT_KEY_PEM'), 'ES256');
const agent = await client.discovery(
  new URL(issuer),
  env('AGENT_CLIENT_ID'),
  undefined,
  client.PrivateKeyJwt({ key, kid: env('AGENT_KEY_KID') }),
  insecure,
);
const cc = await client.clientCredentialsGrant(agent, { scope: 'crm:read', resource: env('RESOURCE') });
const { payload: ccAt } = await jose.jwtVerify(cc.access_token, jwks, { issuer, audience: env('RESOURCE'), typ: 'at+jwt' });
out.client_credentials = { sub: ccAt.sub, scope: ccAt.scope, aud: ccAt.aud, refresh: !!cc.refresh_token };
const before = await client.tokenIntrospection(agent, cc.access_token);
await client.tokenRevocation(agent, cc.access_token);
const after = await client.tokenIntrospection(agent, cc.access_token);
out.cc_introspection = { before: before.active, scope: before.scope, after: after.active };

// Pushed authorization request (RFC 9126), then the same code flow.
const parVerifier = client.randomPKCECodeVerifier();
const parState = client.randomState();
const parUrl = await client.buildAuthorizationUrlWithPAR(config, {
  redirect_uri: redirectUri,
  scope: 'openid',
  code_challenge: await client.calculatePKCECodeChallenge(parVerifier),
  code_challenge_method: 'S256',
  state: parState,
});
out.par_url_has_request_uri = parUrl.searchParams.has('request_uri') && !parUrl.searchParams.has('scope');
const parLogin = await logIn(parUrl);
const parTokens = await client.authorizationCodeGrant(config, parLogin.callback, {
  pkceCodeVerifier: parVerifier,
  expectedState: parState,
});
out.par_sub = parTokens.claims().sub;

// RP-initiated logout through the URL the library builds from discovery.
const endUrl = client.buildEndSessionUrl(config, {
  id_token_hint: tokens.id_token,
  post_logout_redirect_uri: env('POST_LOGOUT_REDIRECT_URI'),
  state: 'bye',
});
out.end_session_url = endUrl.origin === new URL(issuer).origin;
const ended = await fetch(endUrl, { redirect: 'manual', headers: { cookie: cookie.split(';')[0] } });
out.logout_redirect = ended.headers.get('location');

process.stdout.write(JSON.stringify(out) + '\n');
