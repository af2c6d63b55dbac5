// oidc-provider 9.13.3 with an RFC 8693 token exchange grant registered through
// provider.registerGrantType, for our token exchange client to talk to.
// Subject and actor tokens are JWTs of a corporate issuer whose public key is
// given; the issued access token is a JWT (`at+jwt`) for the CRM resource,
// carrying the nested `act` claim through `extraTokenClaims`.
//
// Input (environment): CLIENT_ID, CLIENT_SECRET, SUBJECT_ISSUER, SUBJECT_JWK
// (public JWK, JSON), RESOURCE. Prints {"issuer": ...} once listening on an
// ephemeral loopback port, then serves until killed.
import http from 'node:http';
import Provider, { errors } from 'oidc-provider';
import * as jose from 'jose';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
};
const TE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const RESOURCE = env('RESOURCE');
const SCOPES = 'crm:read crm:write';
const subjectIssuer = env('SUBJECT_ISSUER');
const subjectKey = await jose.importJWK(JSON.parse(env('SUBJECT_JWK')));

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const actByToken = new WeakMap();
const resourceInfo = { scope: SCOPES, accessTokenFormat: 'jwt', audience: RESOURCE };
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: env('CLIENT_ID'),
      client_secret: env('CLIENT_SECRET'),
      grant_types: ['client_credentials', TE],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  scopes: SCOPES.split(' '),
  features: {
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource !== RESOURCE) throw new errors.InvalidTarget();
        return resourceInfo;
      },
    },
  },
  extraTokenClaims: (_ctx, token) => {
    const act = actByToken.get(token);
    return act ? { act } : undefined;
  },
});

const verify = async (token, what) => {
  try {
    const { payload } = await jose.jwtVerify(token, subjectKey, { issuer: subjectIssuer, audience: issuer });
    return payload;
  } catch {
    throw new errors.InvalidRequest(`invalid ${what}`);
  }
};

provider.registerGrantType(
  TE,
  async (ctx) => {
    const p = ctx.oidc.params;
    if (!p.subject_token || !p.subject_token_type) throw new errors.InvalidRequest('missing subject_token');
    if (p.subject_token_type !== JWT) throw new errors.InvalidRequest('unsupported subject_token_type');
    if (p.requested_token_type && p.requested_token_type !== AT) {
      throw new errors.InvalidRequest('unsupported requested_token_type');
    }
    if (!!p.actor_token !== !!p.actor_token_type) throw new errors.InvalidRequest('actor_token and actor_token_type go together');
    const subject = await verify(p.subject_token, 'subject_token');
    let act;
    if (p.actor_token) {
      if (p.actor_token_type !== JWT) throw new errors.InvalidRequest('unsupported actor_token_type');
      const actor = await verify(p.actor_token, 'actor_token');
      if (subject.may_act && subject.may_act.sub !== actor.sub) {
        throw new errors.InvalidRequest('the actor is not allowed by may_act');
      }
      act = subject.act ? { sub: actor.sub, act: subject.act } : { sub: actor.sub };
    }
    const granted = new Set(String(subject.scope ?? '').split(' ').filter(Boolean));
    const asked = p.scope ? p.scope.split(' ').filter(Boolean) : [...granted];
    if (asked.some((s) => !granted.has(s))) {
      throw new errors.InvalidScope('the scope exceeds the subject token', p.scope);
    }
    const resource = p.resource ?? RESOURCE;
    if (resource !== RESOURCE) throw new errors.InvalidTarget();
    const grant = new provider.Grant({ accountId: subject.sub, clientId: ctx.oidc.client.clientId });
    grant.addResourceScope(resource, asked.join(' '));
    const grantId = await grant.save();
    const token = new provider.AccessToken({
      accountId: subject.sub,
      client: ctx.oidc.client,
      grantId,
      gty: 'token_exchange',
      scope: asked.join(' '),
    });
    token.resourceServer = new provider.ResourceServer(resource, resourceInfo);
    if (act) actByToken.set(token, act);
    const value = await token.save();
    ctx.body = {
      access_token: value,
      issued_token_type: AT,
      token_type: 'Bearer',
      expires_in: token.expiration,
      scope: token.scope,
    };
  },
  ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'audience', 'resource', 'scope'],
);

server.on('request', provider.callback());
console.log(JSON.stringify({ issuer }));
