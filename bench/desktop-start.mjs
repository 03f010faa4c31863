// Start-up and memory of the desktop app (run by bench/desktop.sh under tests/e2e/run.sh, so
// with Xvfb and a GNOME Keyring session). Prints figures, not a test.
//
// A demo server gets a few documents for Maria Garcia through its API. A first app session
// signs in (the token goes to the keyring) and opens her once, so she is a recent patient.
// Then the app is started cold several times: from the process start (/proc) to the signed-in
// window restored from the keyring, and from a click on the recent patient to her Documents
// tab with its list and then with every thumbnail drawn. The app marks when a screen is shown
// (ui/src/lib/timing.ts); the WebDriver polling is not part of the figures. Memory: the PSS of
// the app and its WebKit processes after 10 s idle on the Documents tab, beside WebKitGTK's
// MiniBrowser showing the same built UI for 10 s (the floor of any WebKitGTK window).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session, ELEMENT, until, pdf } from '../tests/e2e/webdriver.mjs';
import { startServer, startDriver } from '../tests/e2e/processes.mjs';

const need = (k) => process.env[k] || (console.error(`set ${k}`), process.exit(2));
const SERVER_BIN = need('CLINICDOCS_SERVER_BIN');
const APP_BIN = need('CLINICDOCS_DESKTOP_BIN');
const DRIVER_BIN = need('CLINICDOCS_TAURI_DRIVER');
const MINIBROWSER = process.env.MINIBROWSER;
const UI_DIST = need('UI_DIST');
const RUNS = Number(process.env.BENCH_START_RUNS || 5);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const work = mkdtempSync(join(tmpdir(), 'clinicdocs-bench-start-'));
const { url: server } = await startServer(SERVER_BIN, work);

// Documents for Maria Garcia, straight through the API.
async function seed() {
  const login = await fetch(`${server}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'doctor@demo.clinic', password: 'demo' }),
  }).then((r) => r.json());
  const auth = { authorization: `Bearer ${login.token}` };
  const [maria] = await fetch(`${server}/api/v1/patients?q=Maria`, { headers: auth }).then((r) => r.json());
  const files = join(work, 'files');
  mkdirSync(files);
  const docs = [];
  for (let i = 0; i < 4; i += 1) {
    const p = join(files, `photo${i}.jpg`);
    execFileSync('convert', ['-size', '2400x1800', `gradient:#${i}24488-#eeeeee`, '-quality', '88', p]);
    docs.push([p, 'photo', 'image/jpeg']);
  }
  for (let i = 0; i < 2; i += 1) {
    const p = join(files, `report${i}.pdf`);
    docs.push([p, 'lab', 'application/pdf', pdf(4)]);
  }
  for (const [path, category, type, bytes] of docs) {
    const form = new FormData();
    form.set('patient_id', maria.id);
    form.set('category', category);
    form.set('title', path.split('/').pop());
    form.set('file', new Blob([bytes ?? readFileSync(path)], { type }), path.split('/').pop());
    const r = await fetch(`${server}/api/v1/documents`, { method: 'POST', headers: auth, body: form });
    if (!r.ok) throw new Error(`seeding failed: ${r.status} ${await r.text()}`);
  }
  return docs.length;
}
const seeded = await seed();

const appEnv = {
  CLINICDOCS_SERVER_URL: server,
  XDG_CONFIG_HOME: join(work, 'config'),
  XDG_CACHE_HOME: join(work, 'cache'),
  XDG_DATA_HOME: join(work, 'data'),
  NO_AT_BRIDGE: '1',
};
const driver = await startDriver(DRIVER_BIN, appEnv);

/** The newest process running `bin`, and when it started (epoch ms, 10-ms resolution). */
function processStart(bin) {
  const pid = Number(execFileSync('pgrep', ['-n', '-f', bin]).toString().trim());
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]);
  const btime = Number(readFileSync('/proc/stat', 'utf8').match(/^btime (\d+)/m)[1]);
  const hz = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
  return { pid, at: btime * 1000 + (ticks * 1000) / hz };
}

/** PSS (kB) of `pid` and every process under it. */
function pssTree(pid) {
  const parent = new Map();
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i += 1) for (const [c, p] of parent) if (p === tree[i]) tree.push(c);
  const parts = tree.map((p) => {
    try {
      const kb = Number(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+)/m)[1]);
      const name = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
      return { name, kb };
    } catch {
      return { name: '?', kb: 0 };
    }
  });
  return { kb: parts.reduce((a, b) => a + b.kb, 0), parts };
}

const markAt = (s, name) =>
  s.exec(`const m = performance.getEntriesByName(${JSON.stringify(name)}).at(-1); return m ? performance.timeOrigin + m.startTime : null;`);

// The first session signs in and opens Maria once.
let s = await Session.start(driver, APP_BIN);
await s.waitFor('form.signin', 'the sign-in form');
await s.type(await s.find('input[name=email]'), 'doctor@demo.clinic');
await s.type(await s.find('input[name=password]'), 'demo\uE007');
await s.waitFor('[data-testid=storage-gauge]', 'the signed-in window');
const box = await s.waitFor('#patient-search');
await s.type(box, 'Maria');
await s.waitFor('#patient-results [role=option]', 'search results');
await s.type(box, '\uE007');
await until(() => s.exec('return document.querySelectorAll("[data-testid=document]").length').then((n) => n === seeded), 'her documents');
await s.end();

const starts = [];
let last = null;
for (let run = 0; run < RUNS; run += 1) {
  s = await Session.start(driver, APP_BIN);
  const proc = processStart(APP_BIN);
  const signedIn = await until(() => markAt(s, 'clinicdocs:signed-in'), 'the signed-in window', 30000);
  const recent = await s.waitFor('.recent button', 'the recent patient');
  const clicked = await s.exec('arguments[0].click(); return performance.timeOrigin + performance.now();', { [ELEMENT]: recent });
  const listed = await until(() => markAt(s, 'clinicdocs:documents'), 'the Documents tab');
  const thumbs = await until(
    () =>
      s.exec(`const imgs = [...document.querySelectorAll('[data-testid=document] img')];
        return imgs.length === ${seeded} && imgs.every((i) => i.complete && i.naturalWidth > 0) ? performance.timeOrigin + performance.now() : null;`),
    'every thumbnail',
    30000,
  );
  starts.push({ window: signedIn - proc.at, list: listed - clicked, thumbs: thumbs - clicked });
  if (run === RUNS - 1) last = { s, pid: proc.pid };
  else await s.end();
}

console.log(`runs: ${RUNS} cold starts of the release build (first run shown apart: it reads the binary and libraries from disk)`);
const med = (k) => {
  const v = starts.slice(1).map((x) => x[k]).sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)];
};
const f = (ms) => `${Math.round(ms)} ms`;
console.log(`process start → signed-in window (session from the keyring): median ${f(med('window'))}  (first ${f(starts[0].window)})`);
console.log(`click on the recent patient → Documents tab listed:         median ${f(med('list'))}  (first ${f(starts[0].list)})`);
console.log(`click on the recent patient → all ${seeded} thumbnails drawn:        median ${f(med('thumbs'))}  (first ${f(starts[0].thumbs)})`);
console.log(`cold start to a visible Documents tab (window + list):       median ${f(med('window') + med('list'))}`);

await sleep(10000);
const app = pssTree(last.pid);
console.log(`\nmemory after 10 s idle on the Documents tab: PSS ${(app.kb / 1024).toFixed(1)} MB (${app.parts.map((p) => `${p.name} ${(p.kb / 1024).toFixed(1)}`).join(', ')})`);
await last.s.end();

if (MINIBROWSER) {
  const mb = spawn(MINIBROWSER, [`file://${UI_DIST}/index.html`], { stdio: 'ignore', env: { ...process.env, ...appEnv } });
  await sleep(10000);
  const ref = pssTree(mb.pid);
  mb.kill('SIGTERM');
  console.log(`reference: WebKitGTK MiniBrowser on the same UI, 10 s: PSS ${(ref.kb / 1024).toFixed(1)} MB (${ref.parts.map((p) => `${p.name} ${(p.kb / 1024).toFixed(1)}`).join(', ')})`);
  console.log(`ratio app / MiniBrowser: ${(app.kb / ref.kb).toFixed(2)}×`);
}
process.exit(0);
