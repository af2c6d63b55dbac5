// The official MCP TypeScript client against the guarded example server with
// the authorization code flow: dynamic client registration (RFC 7591), PKCE,
// the `resource` indicator, a headless browser that submits the authorization
// server's login form, FGA-filtered resources, and one step-up after 403
// insufficient_scope (a second authorization for the wider scope, same
// registration). Checks state and RFC 9207 `iss` itself (the SDK does not).
// Exits non-zero with the reason when an expectation fails.
// Usage: node mcp-guard-code-flow.mjs <mcp url> <issuer> <username> <password> <auth method>
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { randomBytes } from 'node:crypto';

const [url, issuer, username, password, authMethod] = process.argv.slice(2);
if (!authMethod) throw new Error('usage: mcp-guard-code-flow.mjs <mcp url> <issuer> <username> <password> <auth method>');
// Never listened on: the browser stops at the redirect and hands the code over.
const REDIRECT = 'http://127.0.0.1:1/callback';

const fail = (why) => {
  process.stderr.write(`FAIL: ${why}\n`);
  process.exit(1);
};

/** A cookie jar per origin and a form-filling "user", enough for a login page. */
class HeadlessBrowser {
  jar = new Map();
  logins = 0;
  consents = 0;

  cookies(origin) {
    return [...(this.jar.get(origin) ?? new Map()).entries()].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  remember(origin, response) {
    const cookies = this.jar.get(origin) ?? new Map();
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair.indexOf('=');
      cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
    this.jar.set(origin, cookies);
  }

  async request(target, init = {}) {
    const u = new URL(target);
    const headers = { ...(init.headers ?? {}), cookie: this.cookies(u.origin) };
    const response = await fetch(u, { ...init, headers, redirect: 'manual' });
    this.remember(u.origin, response);
    return response;
  }

  /** Follows redirects and login forms until the browser is sent to REDIRECT. */
  async authorize(start) {
    let response = await this.request(start);
    for (let hop = 0; hop < 20; hop += 1) {
      const here = response.url || start;
      if (response.status >= 300 && response.status < 400) {
        const next = new URL(response.headers.get('location'), here).href;
        if (next.startsWith(REDIRECT)) return new URL(next);
        response = await this.request(next);
        continue;
      }
      const html = await response.text();
      if (response.status !== 200) fail(`authorization server answered ${response.status}: ${html.slice(0, 300)}`);
      const form = parseForm(html, here);
      if (!form) fail(`no form on the page: ${html.slice(0, 300)}`);
      const body = new URLSearchParams(form.hidden);
      if (form.fields.includes('username')) {
        body.set('username', username);
        this.logins += 1;
      }
      if (form.fields.includes('password')) body.set('password', password);
      // A consent page: the user clicks its first button (Allow).
      if (form.button) {
        body.set(form.button[0], form.button[1]);
        this.consents += 1;
      }
      response = await this.request(form.action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
      });
    }
    return fail('too many redirects');
  }
}

const decode = (s) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const attr = (tag, name) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return m ? decode(m[1]) : undefined;
};

function parseForm(html, base) {
  const form = /<form\b[^>]*>/i.exec(html);
  if (!form) return undefined;
  const hidden = [];
  const fields = [];
  for (const [tag] of html.matchAll(/<input\b[^>]*>/gi)) {
    const name = attr(tag, 'name');
    if (!name) continue;
    if ((attr(tag, 'type') ?? 'text').toLowerCase() === 'hidden') hidden.push([name, attr(tag, 'value') ?? '']);
    else fields.push(name);
  }
  const buttons = [...html.matchAll(/<button\b[^>]*>/gi)]
    .map(([tag]) => [attr(tag, 'name'), attr(tag, 'value') ?? ''])
    .filter(([name]) => name);
  return { action: new URL(attr(form[0], 'action') ?? base, base).href, hidden, fields, button: buttons[0] };
}

/** An OAuthClientProvider for a client that registers itself and has a (headless) user at hand. */
class HeadlessProvider {
  browser = new HeadlessBrowser();
  registrations = 0;
  authorizations = [];
  #client;
  #tokens;
  #verifier;
  #state;
  #code;

  get redirectUrl() {
    return REDIRECT;
  }

  get clientMetadata() {
    return {
      client_name: 'mcp-guard interop (code flow)',
      redirect_uris: [REDIRECT],
      // No refresh_token: a step-up must go through the authorization endpoint.
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: authMethod,
      software_id: 'agent-auth-peers/mcp-guard-code-flow',
    };
  }

  state() {
    this.#state = randomBytes(16).toString('base64url');
    return this.#state;
  }

  clientInformation() {
    return this.#client;
  }

  saveClientInformation(info) {
    this.registrations += 1;
    this.#client = info;
  }

  tokens() {
    return this.#tokens;
  }

  saveTokens(tokens) {
    this.#tokens = tokens;
  }

  saveCodeVerifier(verifier) {
    this.#verifier = verifier;
  }

  codeVerifier() {
    return this.#verifier;
  }

  async redirectToAuthorization(authorizationUrl) {
    const request = Object.fromEntries(authorizationUrl.searchParams);
    this.authorizations.push({ scope: request.scope, resource: request.resource, pkce: request.code_challenge_method });
    const back = await this.browser.authorize(authorizationUrl.href);
    const error = back.searchParams.get('error');
    if (error) fail(`authorization refused: ${error} ${back.searchParams.get('error_description') ?? ''}`);
    if (back.searchParams.get('state') !== this.#state) fail('state mismatch');
    // RFC 9207: the response names the issuer we asked.
    if (back.searchParams.get('iss') !== issuer) fail(`iss ${back.searchParams.get('iss')} is not ${issuer}`);
    this.#code = back.searchParams.get('code');
  }

  takeCode() {
    const code = this.#code;
    this.#code = undefined;
    if (!code) fail('no authorization code was captured');
    return code;
  }
}

const part = (token, i) => JSON.parse(Buffer.from(token.split('.')[i], 'base64url'));
const scopesOf = (token) => part(token, 1).scope;
const provider = new HeadlessProvider();
const challenges = [];
const fetchFn = async (input, init) => {
  const response = await fetch(input, init);
  const challenge = response.headers.get('www-authenticate');
  if (challenge) challenges.push(`${response.status} ${challenge}`);
  return response;
};

// Connect: 401 -> registration -> authorization -> finishAuth -> connect again.
let transport;
const client = new Client({ name: 'mcp-guard-code-flow', version: '1.0.0' });
const connect = async () => {
  transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider, fetch: fetchFn });
  await client.connect(transport);
};
try {
  await connect();
  fail('the first connection was not challenged');
} catch (e) {
  if (!(e instanceof UnauthorizedError)) throw e;
  await transport.finishAuth(provider.takeCode());
  await connect();
}
const scopeBefore = scopesOf(provider.tokens().access_token);
const tools = (await client.listTools()).tools.map((t) => t.name);
const resources = (await client.listResources()).resources.map((r) => r.uri);
const read = await client.readResource({ uri: 'crm://contacts/acme-corp' });
let denied;
try {
  await client.readResource({ uri: 'pricing://executive-discounts' });
  denied = 'read';
} catch (e) {
  denied = String(e.message ?? e);
}
// Step-up: 403 insufficient_scope -> a second authorization -> finishAuth -> retry.
let stepUp;
try {
  stepUp = await client.callTool({ name: 'calendar_today', arguments: {} });
  fail('the calendar tool was called without its scope');
} catch (e) {
  if (!(e instanceof UnauthorizedError)) throw e;
  await transport.finishAuth(provider.takeCode());
  stepUp = await client.callTool({ name: 'calendar_today', arguments: {} });
}
const scopeAfter = scopesOf(provider.tokens().access_token);
const toolsAfter = (await client.listTools()).tools.map((t) => t.name);
const client_ = provider.clientInformation();
const result = {
  registered: { registrations: provider.registrations, token_endpoint_auth_method: client_.token_endpoint_auth_method, secret: client_.client_secret !== undefined },
  authorizations: provider.authorizations,
  logins: provider.browser.logins,
  consents: provider.browser.consents,
  accessTokenTyp: part(provider.tokens().access_token, 0).typ,
  scopeBefore,
  scopeAfter,
  tools,
  resources,
  read: read.contents[0].text,
  denied,
  stepUp: stepUp.content[0].text,
  toolsAfter,
  challenges,
};
console.log(JSON.stringify(result, null, 1));
await client.close();

const expect = (ok, why) => ok || fail(why);
expect(provider.registrations === 1, 'exactly one dynamic registration');
expect(client_.token_endpoint_auth_method === authMethod, `registered for ${authMethod}`);
expect(provider.browser.logins === 1, 'one login form submitted (the step-up rides the session)');
expect(result.accessTokenTyp === 'at+jwt', 'RFC 9068 access tokens (typ at+jwt)');
expect(provider.authorizations.length === 2, 'two authorizations (first connection, step-up)');
expect(provider.authorizations.every((a) => a.pkce === 'S256' && a.resource === url), 'PKCE S256 and the resource indicator');
expect(!scopeBefore.split(' ').includes('mcp:calendar:read'), 'the first token lacks the calendar scope');
expect(scopeAfter.split(' ').includes('mcp:calendar:read'), 'the stepped-up token has the calendar scope');
expect(challenges.some((c) => c.startsWith('403 ') && c.includes('insufficient_scope')), 'a 403 insufficient_scope challenge');
expect(resources.includes('crm://contacts/acme-corp') && !resources.includes('pricing://executive-discounts'), 'FGA-filtered resources');
expect(denied !== 'read', 'the pricing resource is denied');
expect(stepUp.content[0].text.startsWith(`10:00 Acme Corp call (asked by ${username})`), 'the stepped-up call ran as the user');
expect(!tools.includes('calendar_today') && toolsAfter.includes('calendar_today'), 'tools filtered by scope');
