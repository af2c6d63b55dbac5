// jose 6.2.17 checks the reference authority's Security Event Tokens as an
// independent implementation: the signature against the JWK Set the
// authority publishes, `typ` secevent+jwt, `iss` and `aud`.
//
// Input (environment): JWKS_URI, ISSUER, AUDIENCE; the SETs on stdin, one per
// line. Output: one JSON line per SET, {"ok": true, "header": {...},
// "payload": {...}} or {"ok": false, "error": "<jose error code>"}.
import * as jose from 'jose';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
};

const jwks = jose.createRemoteJWKSet(new URL(env('JWKS_URI')));
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const sets = Buffer.concat(chunks).toString('utf8').split('\n').filter((l) => l.trim());
for (const set of sets) {
  try {
    const { payload, protectedHeader } = await jose.jwtVerify(set.trim(), jwks, {
      issuer: env('ISSUER'),
      audience: env('AUDIENCE'),
      typ: 'secevent+jwt',
    });
    console.log(JSON.stringify({ ok: true, header: protectedHeader, payload }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, error: e.code ?? String(e) }));
  }
}
