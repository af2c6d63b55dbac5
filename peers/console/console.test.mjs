// The security console in a real browser: Debian's Chromium driven by
// playwright-core. Starts the `security-console` program (a control point
// with 10,000 agents), signs in as the security admin with password and
// TOTP, registers the discovered agent, certifies a review, fires the kill
// switch, and saves a screenshot of each step.
//
// usage: node console.test.mjs <security-console binary> <screenshot folder>
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [binary, shots] = process.argv.slice(2);
if (!binary || !shots) {
  console.error('usage: node console.test.mjs <security-console binary> <screenshot folder>');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const password = randomBytes(12).toString('hex');
const totpSecret = randomBytes(10).toString('hex');
const fleet = 10000;

// RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits) over the secret's bytes.
function totp(secret, now = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 1000 / 30)));
  const mac = createHmac('sha1', Buffer.from(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}

function check(condition, message) {
  if (!condition) throw new Error(`FAILED: ${message}`);
  console.log(`ok - ${message}`);
}

const server = spawn(binary, ['--listen', '127.0.0.1:0', '--fleet', String(fleet),
  '--password', password, '--totp-secret', totpSecret], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (chunk) => {
    out += chunk;
    const m = out.match(/console at (\S+)/);
    if (m) resolve(m[1]);
  });
  server.on('exit', (code) => reject(new Error(`security-console exited with ${code}`)));
  setTimeout(() => reject(new Error('security-console did not start within 300 s')), 300_000);
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
try {
  const violations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });

  // Sign in through the authority's login page, with the one-time code.
  await page.goto(url);
  check(await page.locator('input[name=username]').isVisible(), 'an anonymous visit lands on the sign-in page');
  await page.fill('input[name=username]', 'secadmin');
  await page.fill('input[name=password]', password);
  await page.fill('input[name=totp]', totp(totpSecret));
  await shot('01-sign-in');
  const started = Date.now();
  await page.click('button[type=submit]');
  await page.waitForSelector('#agent-count');
  const loaded = Date.now() - started;
  const count = await page.textContent('#agent-count');
  check(count.startsWith(`${fleet + 2} agents, page 1 of `), `the inventory counts ${fleet + 2} agents (${count})`);
  console.log(`inventory page with ${fleet + 2} agents, sign-in included: ${loaded} ms`);
  check(await page.locator('#agents tbody tr').count() === 50, 'one page shows 50 agents');
  await shot('02-inventory');

  await page.fill('#filters input[name=name]', 'sales');
  await page.selectOption('#filters select[name=active]', 'yes');
  await page.click('#filters button');
  await page.waitForSelector('#agent-count');
  check((await page.textContent('#agent-count')).startsWith('1 agents'), 'the name filter finds the sales agent');
  check(await page.locator('.risk-HIGH').count() === 1, 'the sales agent shows HIGH risk');
  await shot('03-filtered');

  // Register the discovered agent.
  await page.click('text=Discovered');
  const row = page.locator('#discovered tbody tr', { hasText: 'sales-assistant-gpt' });
  check(await row.count() === 1, 'the shadow agent is listed as discovered');
  await row.locator('input[name=owner]').fill('john');
  await shot('04-discovered');
  await row.locator('button[type=submit]').click();
  await page.waitForSelector('p.ok');
  check((await page.textContent('p.ok')).includes('Registered sales-assistant-gpt'), 'the discovered agent is registered');
  await shot('05-registered');

  // Certify the review waiting for the admin.
  await page.click('text=Reviews');
  const item = page.locator('#inbox tbody tr', { hasText: 'soc-triage-agent' });
  check(await item.count() === 1, 'the review inbox holds the admin\'s item');
  await item.locator('input[name=reason]').fill('still needed for alert triage');
  await shot('06-review');
  await item.locator('button[value=certify]').click();
  await page.waitForSelector('p.ok');
  check((await page.textContent('p.ok')).startsWith('Certified'), 'the review item is certified');

  // The agent's detail, then the kill switch.
  await page.goto(new URL('agents/sales-agent', url).href);
  check(await page.locator('#timeline tbody tr').count() > 0, 'the agent has an audit timeline');
  check(await page.locator('text=FAILED').count() === 0, 'every timeline entry has a verified inclusion proof');
  check(await page.locator('#tokens tbody tr', { hasText: '(itself)' }).count() === 2, 'two live access tokens are listed');
  await shot('07-agent');
  await page.click('text=Kill switch');
  await page.fill('#kill-switch input[name=reason]', 'read 100 CRM records in ten minutes');
  await page.fill('#kill-switch input[name=confirm]', 'sales-agent');
  await shot('08-kill-switch');
  await page.click('#kill-switch button');
  await page.waitForSelector('#logout-report');
  const revoked = await page.locator('#logout-report tbody tr td').nth(2).textContent();
  check(Number(revoked) === 2, `the kill switch revoked both access tokens (${revoked})`);
  check((await page.content()).includes('Agent is now INACTIVE'), 'the agent is suspended');
  await shot('09-logged-out');

  check(violations.length === 0, 'no Content Security Policy violation');
  const html = await page.content();
  check(!html.includes(password) && !html.includes(totpSecret), 'no credential is on the page');
} catch (e) {
  failed = true;
  console.error(e.message);
  await page.screenshot({ path: join(shots, 'failure.png') }).catch(() => {});
  console.error(`page at failure (${page.url()}): ${(await page.textContent('body').catch(() => '')).slice(0, 400)}`);
} finally {
  await browser.close();
  server.kill();
}
console.log(`screenshots in ${shots}`);
process.exit(failed ? 1 : 0);
