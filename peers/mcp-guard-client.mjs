// The official MCP TypeScript client against the guarded example server:
// client_credentials with the scope challenge flow, FGA-filtered resources,
// tools filtered by scope, and one step-up after 403 insufficient_scope.
// Usage: node mcp-guard-client.mjs <mcp url> <client id> <client secret> <issuer>
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';

const [url, clientId, clientSecret] = process.argv.slice(2);
const provider = new ClientCredentialsProvider({ clientId, clientSecret, expectedIssuer: process.argv[5], scope: 'mcp:crm:read mcp:docs:read' });
const seen = [];
// fetchToken sends clientMetadata.scope, not the challenge scope: carry the
// challenge's scope over, as a client doing step-up must.
const fetchFn = async (input, init) => {
  const response = await fetch(input, init);
  const challenge = response.headers.get('www-authenticate');
  if (challenge) {
    seen.push(`${response.status} ${challenge}`);
    const scope = /scope="([^"]*)"/.exec(challenge)?.[1];
    if (response.status === 403 && scope) provider.clientMetadata.scope = scope;
  }
  return response;
};
const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider, fetch: fetchFn });
const client = new Client({ name: 'mcp-guard-interop', version: '1.0.0' });
await client.connect(transport);
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
const stepUp = await client.callTool({ name: 'calendar_today', arguments: {} });
const toolsAfter = (await client.listTools()).tools.map((t) => t.name);
console.log(JSON.stringify({
  tools,
  resources,
  read: read.contents[0].text,
  denied,
  stepUp: stepUp.content[0].text,
  toolsAfter,
  challenges: seen,
}, null, 1));
await client.close();
