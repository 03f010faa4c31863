// Sharing portal benchmark (prints figures; not a test). A release clinicdocs-server with demo
// data, a real SMTP sink for the share email, and headful Chromium under Xvfb (its own PDF
// viewer only runs with a window). For each 20-page PDF in bench/out/portal/ (a text report
// and a scanned one, made by bench/portal.sh), shared with a contact:
//   - portal: the share page (/share/{token}) to its first page painted — the server draws
//     each page as a JPEG — and to every page loaded;
//   - straight: the same stored PDF opened inline from the same link (…/view: the bytes as
//     stored, no drawing) to its first page painted by Chromium's PDF viewer.
// "Painted" is the same test for both: a screenshot of the tab shows the red band every
// page's head carries (≥ 20,000 pure-red pixels). Screenshots are polled, so both figures
// carry the same polling step (a few tens of ms). Fresh browser context per run (no cache),
// the two interleaved, alternating which goes first; medians and the portal/straight ratio.
// Usage: bench/portal.sh  (or CLINICDOCS_SERVER_BIN=… CLINICDOCS_PDFIUM=… xvfb-run node bench/portal.mjs)
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { startServer, startSmtpSink } from '../tests/e2e/processes.mjs';
import { until } from '../tests/e2e/webdriver.mjs';
import { chromiumPath } from '../ui/tests/screens/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { chromium } = createRequire(join(here, '..', 'ui', 'package.json'))('playwright-core');
const inputs = join(here, 'out', 'portal');
const ROUNDS = Number(process.env.PORTAL_ROUNDS ?? 5);
const RED_PIXELS = 20000;

/** Pixels of a PNG screenshot that are pure red (the band at each page's head). */
function redPixels(png) {
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8) throw new Error('only 8-bit screenshots are read');
      channels = { 2: 3, 6: 4 }[data[9]];
      if (!channels) throw new Error(`PNG colour type ${data[9]}`);
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  let prev = Buffer.alloc(stride);
  let red = 0;
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i += 1) {
      const a = i >= channels ? line[i - channels] : 0;
      const b = prev[i];
      const c = i >= channels ? prev[i - channels] : 0;
      let add = 0;
      if (filter === 1) add = a;
      else if (filter === 2) add = b;
      else if (filter === 3) add = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        add = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      line[i] = (line[i] + add) & 0xff;
    }
    for (let x = 0; x < stride; x += channels) if (line[x] > 200 && line[x + 1] < 60 && line[x + 2] < 60) red += 1;
    prev = line;
  }
  return red;
}

/** Milliseconds from navigating a fresh tab to `url` until the red band is painted. */
async function firstPainted(browser, url, { allPages = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const t0 = performance.now();
  const nav = page.goto(url, { waitUntil: 'commit' }).catch(() => {});
  let painted = null;
  while (performance.now() - t0 < 60000) {
    const shot = await page.screenshot({ type: 'png' }).catch(() => null);
    if (shot && redPixels(shot) >= RED_PIXELS) {
      painted = performance.now() - t0;
      break;
    }
  }
  if (painted === null) throw new Error(`${url}: nothing painted within 60 s`);
  let all = null;
  if (allPages) {
    await page.waitForFunction(
      () => [...document.querySelectorAll('figure.page img')].every((i) => i.complete && i.naturalWidth > 0),
      null,
      { timeout: 120000, polling: 20 },
    );
    all = performance.now() - t0;
  }
  await nav;
  await context.close();
  return { painted, all };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(0).padStart(6)} ms`;

async function api(base, path, { token, method = 'GET', json, form } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (json) headers['content-type'] = 'application/json';
  const r = await fetch(new URL(path, base), { method, headers, body: json ? JSON.stringify(json) : form });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

const bin = process.env.CLINICDOCS_SERVER_BIN;
if (!bin || !process.env.CLINICDOCS_PDFIUM) throw new Error('set CLINICDOCS_SERVER_BIN and CLINICDOCS_PDFIUM (bench/portal.sh does)');
const files = readdirSync(inputs).filter((f) => f.endsWith('.pdf')).sort();
if (files.length === 0) throw new Error(`no PDFs in ${inputs}: run bench/portal.sh`);
const work = mkdtempSync(join(tmpdir(), 'clinicdocs-portal-bench-'));
const mailDir = join(work, 'mail');
mkdirSync(mailDir);
const smtp = await startSmtpSink(mailDir);
const server = await startServer(bin, work, 0, {
  env: { CLINICDOCS_SMTP_URL: smtp, CLINICDOCS_MAIL_FROM: 'documents@demo.clinic', RUST_LOG: 'warn' },
});
const login = await api(server.url, '/api/v1/auth/login', { method: 'POST', json: { email: 'doctor@demo.clinic', password: 'demo' } });
const token = login.token;
const patients = await api(server.url, '/api/v1/patients', { token });
const patient = (patients.items ?? patients)[0].id;
const contact = await api(server.url, '/api/v1/contacts', {
  token,
  method: 'POST',
  json: { name: 'Dr. Lee', organisation: 'Riverside Orthopaedics', email: 'lee@ortho.example' },
});
const browser = await chromium.launch({
  executablePath: chromiumPath(),
  headless: false,
  args: ['--no-sandbox'],
  // Chromium's PDF viewer is a built-in extension: let it run.
  ignoreDefaultArgs: ['--disable-extensions', '--disable-component-extensions-with-background-pages'],
});

console.log(`sharing portal: first page painted, ${ROUNDS} runs each, medians (Chromium ${browser.version()})`);
for (const file of files) {
  const bytes = readFileSync(join(inputs, file));
  const form = new FormData();
  form.set('patient_id', patient);
  form.set('category', 'lab');
  form.set('title', file.replace(/\.pdf$/, ''));
  form.set('file', new Blob([bytes], { type: 'application/pdf' }), file);
  const doc = (await api(server.url, '/api/v1/documents', { token, method: 'POST', form })).document;
  const emails = () => readdirSync(mailDir).filter((f) => f.endsWith('.json')).sort();
  const before = emails().length;
  await api(server.url, '/api/v1/shares', { token, method: 'POST', json: { document_ids: [doc.id], contact_id: contact.id } });
  const mail = await until(() => emails()[before], 'the share email');
  const link = JSON.parse(readFileSync(join(mailDir, mail), 'utf8')).text.match(/https?:\/\/\S+\/share\/[A-Za-z0-9_-]{43}/)[0];
  const straight = `${link}/documents/${doc.id}/view`;
  const page1 = (await (await fetch(`${link}/documents/${doc.id}/page-1`)).arrayBuffer()).byteLength;
  // One uncounted open of each: the server's first drawing child, Chromium's first PDF viewer.
  await firstPainted(browser, link, { allPages: true });
  await firstPainted(browser, straight);
  const portal = [];
  const all = [];
  const direct = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    const runPortal = async () => {
      const t = await firstPainted(browser, link, { allPages: true });
      portal.push(t.painted);
      all.push(t.all);
    };
    const runDirect = async () => direct.push((await firstPainted(browser, straight)).painted);
    if (r % 2 === 0) {
      await runPortal();
      await runDirect();
    } else {
      await runDirect();
      await runPortal();
    }
  }
  const [p, d] = [median(portal), median(direct)];
  console.log(`\n${file}: ${doc.page_count} pages, ${(statSync(join(inputs, file)).size / 1024).toFixed(0)} KB stored; page 1 drawn: ${(page1 / 1024).toFixed(0)} KB`);
  console.log(`  portal   first page painted ${ms(p)}   all ${doc.page_count} pages loaded ${ms(median(all))}`);
  console.log(`  straight first page painted ${ms(d)}   (Chromium's PDF viewer on the stored file)`);
  console.log(`  ratio portal/straight ${(p / d).toFixed(2)}×   runs: portal ${portal.map((x) => x.toFixed(0)).join(' ')} | straight ${direct.map((x) => x.toFixed(0)).join(' ')}`);
}
await browser.close();
await server.stop();
process.exit(0);
