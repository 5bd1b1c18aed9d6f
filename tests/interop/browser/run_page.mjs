// Runs one test page in headless Chromium (Debian /usr/bin/chromium via playwright-core) and bridges it
// to the process that started us, so a C++ test can play the other WebRTC peer:
//
//   node run_page.mjs --page PAGE.js [--timeout-ms N] [--param key=value ...]
//
// * The page script PAGE.js (from this folder) is loaded into an empty HTML page served on 127.0.0.1 by
//   this process; it gets `params` (the --param pairs) and three functions on `window`:
//     ternSend(obj)      -> one JSON line on our stdout  {"type":"signal","data":obj}
//     ternLog(text)      -> one line on our stderr
//     ternDone(ok, obj)  -> {"type":"done","ok":ok,"data":obj} on stdout; we exit 0 if ok, 1 otherwise
//   and receives every JSON line written to our stdin through window.onTernSignal(obj).
// * Exits 1 with {"type":"done","ok":false,...} on timeout, page error or browser crash.
//
// Chromium gathers no candidates on loopback alone: run us inside a namespace with a veth
// (scripts/netns-run.sh). Nothing here talks to any other network.
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const modules = process.env.TERN_NODE_MODULES || join(repo, '.cache', 'node', 'node_modules');
const require = createRequire(join(modules, 'noop.js'));
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error(`run_page: playwright-core not found under ${modules} (scripts/deps.sh installs it): ${e}`);
  process.exit(2);
}

const args = process.argv.slice(2);
let pagePath = null;
let timeoutMs = 60000;
const params = {};
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--page') pagePath = args[++i];
  else if (args[i] === '--timeout-ms') timeoutMs = Number(args[++i]);
  else if (args[i] === '--param') {
    const kv = args[++i];
    const eq = kv.indexOf('=');
    params[kv.slice(0, eq)] = kv.slice(eq + 1);
  } else {
    console.error(`run_page: unknown argument ${args[i]}`);
    process.exit(2);
  }
}
if (!pagePath) {
  console.error('run_page: --page is required');
  process.exit(2);
}
const script = readFileSync(pagePath.startsWith('/') ? pagePath : join(here, pagePath), 'utf8');

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

let finished = false;
let context = null;
let profile = null;
let server = null;
async function finish(ok, data) {
  if (finished) return;
  finished = true;
  emit({ type: 'done', ok, data });
  try { if (context) await context.close(); } catch (e) { /* the browser may be gone already */ }
  try { if (server) server.close(); } catch (e) { /* ignore */ }
  if (profile) rmSync(profile, { recursive: true, force: true });
  process.exit(ok ? 0 : 1);
}

const html = `<!doctype html><html><head><meta charset="utf-8"><title>tern interop</title></head>
<body><script>window.params = ${JSON.stringify(params)};</script>
<script src="/page.js"></script></body></html>`;
server = createServer((req, res) => {
  if (req.url.startsWith('/page.js')) {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end(script);
  } else if (req.url === '/favicon.ico') {
    res.writeHead(204);
    res.end();
  } else if (req.url === '/' || req.url.startsWith('/?')) {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(html);
  } else {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;

const timer = setTimeout(() => finish(false, { error: `timeout after ${timeoutMs} ms` }), timeoutMs);
timer.unref();

profile = mkdtempSync(join(tmpdir(), 'tern-chromium-'));
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
  });
} catch (e) {
  await finish(false, { error: `chromium did not start: ${e}` });
}
const page = context.pages()[0] || await context.newPage();
page.on('console', (m) => console.error(`[page ${m.type()}] ${m.text()}`));
page.on('pageerror', (e) => finish(false, { error: `page error: ${e}` }));
page.on('crash', () => finish(false, { error: 'page crashed' }));
await page.exposeFunction('ternSend', (obj) => emit({ type: 'signal', data: obj }));
await page.exposeFunction('ternLog', (text) => console.error(`[page] ${text}`));
await page.exposeFunction('ternDone', (ok, obj) => finish(Boolean(ok), obj));

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  if (!line.trim()) return;
  let obj;
  try {
    obj = JSON.parse(line);
  } catch (e) {
    await finish(false, { error: `bad JSON on stdin: ${line.slice(0, 200)}` });
    return;
  }
  try {
    await page.evaluate((o) => window.onTernSignal && window.onTernSignal(o), obj);
  } catch (e) {
    await finish(false, { error: `onTernSignal threw: ${e}` });
  }
});
lines.on('close', () => { /* the test closed our stdin: keep running until done or timeout */ });

await page.goto(url);
