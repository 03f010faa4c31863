// The installed desktop package, as staff get it: `scripts/package.sh` built the .deb and the
// suite installed it with `dpkg -i` (see scripts/test.sh). This checks what dpkg installed —
// the app, its PDF engine and its menu entry, and the libraries it depends on — then starts the
// installed binary in a real window (Xvfb, tauri-driver + WebKitWebDriver) against a real demo
// server, signs in, and sees a PDF's first page drawn by the libpdfium inside the package.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Session, KEY, until, pdf } from './webdriver.mjs';
import { startServer, startDriver } from './processes.mjs';

const need = (k) => process.env[k] || (console.error(`set ${k}`), process.exit(2));
const SERVER_BIN = need('CLINICDOCS_SERVER_BIN');
const DRIVER_BIN = need('CLINICDOCS_TAURI_DRIVER');
const PACKAGE = process.env.CLINICDOCS_PACKAGE || 'clinic-documents';
const OUT = process.env.E2E_OUT || join(process.cwd(), 'tests/e2e/out');
mkdirSync(OUT, { recursive: true });

let passed = 0;
const step = async (name, f) => {
  const t = Date.now();
  await f();
  passed += 1;
  console.log(`ok   ${name} (${Date.now() - t} ms)`);
};

const files = execFileSync('dpkg-query', ['-L', PACKAGE], { encoding: 'utf8' }).split('\n');
const appBin = files.find((f) => f.endsWith('/bin/clinicdocs-desktop'));

await step('dpkg installed the app, its PDF engine and its menu entry, and names the libraries it needs', async () => {
  assert.ok(appBin, `the app binary among ${files.length} installed paths`);
  assert.ok(files.some((f) => f.endsWith('/libpdfium.so')), 'libpdfium inside the package');
  assert.ok(files.some((f) => f.startsWith('/usr/share/applications/') && f.endsWith('.desktop')), 'a menu entry');
  const depends = execFileSync('dpkg-query', ['-W', '-f=${Depends}', PACKAGE], { encoding: 'utf8' });
  assert.match(depends, /libwebkit2gtk-4\.1-0/, 'the web view library is a dependency');
  assert.match(depends, /libgtk-3-0/, 'GTK is a dependency');
});

const work = mkdtempSync(join(tmpdir(), 'clinicdocs-package-'));
const server = await startServer(SERVER_BIN, work);

// A PDF for Maria Garcia, sent through the API as the doctor: the package's own window must
// draw its first page (PDF thumbnails are made on the workstation, by pdfium).
const api = async (path, init = {}) => {
  const r = await fetch(new URL(path, server.url), init);
  assert.ok(r.ok, `${init.method ?? 'GET'} ${path}: ${r.status} ${await r.clone().text()}`);
  return r.json();
};
const { token } = await api('/api/v1/auth/login', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email: 'doctor@demo.clinic', password: 'demo' }),
});
const auth = { authorization: `Bearer ${token}` };
const [maria] = await api('/api/v1/patients?q=Maria%20Garcia', { headers: auth });
const bytes = pdf(2);
const form = new FormData();
form.set('patient_id', maria.id);
form.set('category', 'lab');
form.set('title', 'Lipid panel');
form.set('size', String(bytes.length));
form.set('file', new Blob([bytes], { type: 'application/pdf' }), 'lipid panel.pdf');
await api('/api/v1/documents', { method: 'POST', headers: { ...auth, 'idempotency-key': 'package-e2e-1' }, body: form });

const driver = await startDriver(DRIVER_BIN, {
  CLINICDOCS_SERVER_URL: server.url,
  XDG_CONFIG_HOME: join(work, 'config'),
  XDG_CACHE_HOME: join(work, 'cache'),
  XDG_DATA_HOME: join(work, 'data'),
  NO_AT_BRIDGE: '1',
  // Not the suite's own copy: the app must find the one its package installed.
  CLINICDOCS_PDFIUM: '',
});
const s = await Session.start(driver, appBin);
try {
  await step('the installed app signs in and draws a PDF page with the packaged libpdfium', async () => {
    await s.waitFor('form.signin', 'the sign-in form');
    await s.type(await s.find('input[name=email]'), 'doctor@demo.clinic');
    await s.type(await s.find('input[name=password]'), 'demo' + KEY.Enter);
    await s.waitFor('[data-testid=storage-gauge]', 'the signed-in window');
    const box = await s.waitFor('#patient-search');
    await s.click(box);
    await s.type(box, 'Maria');
    await until(async () => (await s.exec('return document.querySelector("#patient-results [role=option]")?.textContent || ""')).includes('Maria Garcia'), 'Maria Garcia in the results');
    await s.type(box, KEY.Enter);
    await until(
      () => s.exec('const i = document.querySelector("ul.grid img"); return !!i && i.complete && i.naturalWidth > 0;'),
      'the PDF thumbnail drawn',
    );
    try {
      execFileSync('import', ['-window', 'root', join(OUT, 'package-installed-app.png')], { stdio: 'ignore' });
    } catch {
      await s.screenshot(join(OUT, 'package-installed-app.png'));
    }
  });
} catch (e) {
  console.log(`FAIL ${e.stack || e}`);
  const seen = await s.exec('return location.href + "\\n" + document.body.innerText').catch((x) => String(x));
  console.log(`the window showed:\n${seen}`);
  process.exitCode = 1;
} finally {
  await s.end().catch(() => {});
}
console.log(`package: ${passed} passed, ${process.exitCode ? 1 : 0} failed`);
process.exit(process.exitCode ?? 0);
