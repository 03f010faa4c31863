// A patient's Documents tab with 40 PDFs and 10 DICOM files (run by bench/desktop.sh under
// tests/e2e/run.sh, so with Xvfb and a GNOME Keyring session). Prints figures, not a test.
//
// Two release servers hold the same 50 documents for a new patient: one draws PDF tiles
// (libpdfium), one has no PDF engine, so the desktop draws a PDF's tile itself from the whole
// PDF, as every workstation did before the server made them ("before"). DICOM tiles come from
// the server on both. The app reaches each server through a loopback proxy that counts the
// bytes it receives. Each run starts the app with an empty cache, signs in (not measured),
// opens the patient and scrolls down the list as a reader would until every tile is drawn:
// the bytes the app downloaded in that time, and the time from the Enter that opens the
// patient to the last tile drawn. Beside them: the server thumbnails' own bytes.
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { Session, until } from '../tests/e2e/webdriver.mjs';
import { startServer, startDriver } from '../tests/e2e/processes.mjs';

const need = (k) => process.env[k] || (console.error(`set ${k}`), process.exit(2));
const SERVER_BIN = need('CLINICDOCS_SERVER_BIN');
const APP_BIN = need('CLINICDOCS_DESKTOP_BIN');
const DRIVER_BIN = need('CLINICDOCS_TAURI_DRIVER');
const PDFIUM = need('CLINICDOCS_PDFIUM');
const INPUTS = need('BENCH_TAB_INPUTS');
const RUNS = Number(process.env.BENCH_TAB_RUNS || 5);
const PATIENT = 'Tabitha Benchmark';

const work = mkdtempSync(join(tmpdir(), 'clinicdocs-bench-tab-'));
const files = readdirSync(INPUTS).filter((f) => /\.(pdf|dcm)$/.test(f)).sort();
const pdfs = files.filter((f) => f.endsWith('.pdf')).length;
const dicoms = files.length - pdfs;

async function api(base, path, { token, method = 'GET', json, form } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (json) headers['content-type'] = 'application/json';
  const r = await fetch(new URL(path, base), { method, headers, body: json ? JSON.stringify(json) : form });
  const body = Buffer.from(await r.arrayBuffer());
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${body.toString().slice(0, 300)}`);
  return body;
}
const apiJson = async (...a) => JSON.parse((await api(...a)).toString() || 'null');

/** A loopback TCP proxy to `target` that counts the bytes going back to the client. */
function countingProxy(target) {
  const { hostname, port } = new URL(target);
  const counter = { down: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    upstream.on('data', (d) => (counter.down += d.length));
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, counter })),
  );
}

/** The patient and the 50 documents on `server`; resolves once every expected tile exists. */
async function seed(server, drawsPdfs) {
  const { token } = await apiJson(server, '/api/v1/auth/login', {
    method: 'POST',
    json: { email: 'doctor@demo.clinic', password: 'demo' },
  });
  const patient = await apiJson(server, '/api/v1/patients', { token, method: 'POST', json: { name: PATIENT, date_of_birth: '1971-03-09' } });
  for (const f of files) {
    const dicom = f.endsWith('.dcm');
    const form = new FormData();
    form.set('patient_id', patient.id);
    form.set('category', dicom ? 'imaging' : 'lab');
    form.set('title', f.replace(/\.\w+$/, ''));
    form.set('file', new Blob([readFileSync(join(INPUTS, f))], { type: dicom ? 'application/dicom' : 'application/pdf' }), f);
    await api(server, '/api/v1/documents', { token, method: 'POST', form });
  }
  const list = async () => (await apiJson(server, `/api/v1/documents?patient_id=${patient.id}&limit=100`, { token })).items;
  const docs = await until(
    async () => {
      const d = await list();
      return d.length === files.length && d.every((x) => x.has_thumbnail || (!drawsPdfs && x.content_type === 'application/pdf')) && d;
    },
    'every server tile',
    300000,
  );
  let thumbBytes = 0;
  for (const d of docs.filter((x) => x.has_thumbnail)) {
    const { url } = await apiJson(server, `/api/v1/documents/${d.id}/url?variant=thumbnail`, { token });
    thumbBytes += (await api(server, url)).length;
  }
  return { docs, thumbBytes, originalBytes: docs.reduce((a, d) => a + d.file_size, 0), seededAt: Date.now() };
}

const a = await startServer(SERVER_BIN, join(work, 'a'), 0, { env: { CLINICDOCS_PDFIUM: PDFIUM, RUST_LOG: 'warn' } });
const b = await startServer(SERVER_BIN, join(work, 'b'), 0, { env: { CLINICDOCS_PDFIUM: join(work, 'no-pdf-engine.so'), RUST_LOG: 'warn' } });
// "Before" first: its PDFs must be older than the minute the app waits for a server tile.
const before = { name: 'before: the app draws PDF tiles', ...(await seed(b.url, false)), proxy: await countingProxy(b.url) };
const after = { name: 'after: server tiles', ...(await seed(a.url, true)), proxy: await countingProxy(a.url) };
const wait = before.seededAt + 62000 - Date.now();
if (wait > 0) await new Promise((r) => setTimeout(r, wait));

const driver = await startDriver(DRIVER_BIN, {});

async function openTab(setup, run) {
  const cache = join(work, `cache-${run}`);
  const env = {
    CLINICDOCS_SERVER_URL: setup.proxy.url,
    CLINICDOCS_PDFIUM: PDFIUM,
    XDG_CONFIG_HOME: join(work, `config-${run}`),
    XDG_CACHE_HOME: cache,
    NO_AT_BRIDGE: '1',
  };
  const s = await Session.start(driver, APP_BIN, env);
  try {
    await s.waitFor('form.signin', 'the sign-in form', 30000);
    await s.type(await s.find('input[name=email]'), 'doctor@demo.clinic');
    await s.type(await s.find('input[name=password]'), 'demo\uE007');
    await s.waitFor('[data-testid=storage-gauge]', 'the signed-in window');
    const box = await s.waitFor('#patient-search');
    await s.type(box, PATIENT);
    await s.waitFor('#patient-results [role=option]', 'search results');
    const bytes0 = setup.proxy.counter.down;
    const t0 = await s.exec('return performance.timeOrigin + performance.now()');
    await s.type(box, '\uE007');
    const done = await until(
      () =>
        s.exec(`const imgs = [...document.querySelectorAll('[data-testid=document] img')];
          const cards = document.querySelectorAll('[data-testid=document]').length;
          const pending = imgs.filter((i) => !(i.complete && i.naturalWidth > 0));
          if (pending.length) pending[0].scrollIntoView({ block: 'end' });
          return cards === ${files.length} && imgs.length === cards && pending.length === 0
            ? performance.timeOrigin + performance.now() : null;`),
      'every tile drawn',
      180000,
    );
    return { ms: done - t0, bytes: setup.proxy.counter.down - bytes0 };
  } finally {
    await s.end();
    rmSync(cache, { recursive: true, force: true });
  }
}

// One uncounted run of each (the binary and WebKit read from disk), then interleaved runs.
await openTab(before, 'warm-b');
await openTab(after, 'warm-a');
for (const setup of [before, after]) setup.runs = [];
for (let run = 0; run < RUNS; run += 1) {
  for (const setup of run % 2 ? [after, before] : [before, after]) setup.runs.push(await openTab(setup, `${setup === after ? 'a' : 'b'}${run}`));
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
console.log(`### a patient's Documents tab: ${pdfs} PDFs and ${dicoms} DICOM files, release build, loopback, ${RUNS} runs each, empty cache, medians`);
console.log(`originals: ${kb(after.originalBytes)} in all; the server's ${after.docs.length} thumbnails: ${kb(after.thumbBytes)}`);
console.log('| | downloaded | × the thumbnails\' bytes | Enter → every tile drawn |');
console.log('|---|---|---|---|');
for (const setup of [before, after]) {
  const bytes = median(setup.runs.map((r) => r.bytes));
  const ms = median(setup.runs.map((r) => r.ms));
  console.log(`| ${setup.name} | ${kb(bytes)} | ${(bytes / after.thumbBytes).toFixed(2)}× | ${Math.round(ms)} ms |`);
}
const ratio = median(after.runs.map((r) => r.ms)) / median(before.runs.map((r) => r.ms));
console.log(`time after / before: ${ratio.toFixed(2)}×`);
process.exit(0);
