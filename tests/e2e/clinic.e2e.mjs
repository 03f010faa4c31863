// End to end, a clinic from nothing to its first scan, in the real window (Xvfb, tauri-driver +
// WebKitWebDriver) against a real server without demo data: the operator creates the clinic
// and its admin with `clinicdocs-server clinic create`; the admin's first sign-in uses the
// printed setup code; she adds a receptionist, whose first sign-in uses the code shown to the
// admin; the receptionist registers a walk-in patient, opens today's visit and uploads a scan
// that the form links to it; the admin finds that upload in the audit trail and exports the
// CSV. Screenshots go to $E2E_OUT.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Session, KEY, until } from './webdriver.mjs';
import { startServer, startDriver } from './processes.mjs';

const need = (k) => process.env[k] || (console.error(`set ${k}`), process.exit(2));
const SERVER_BIN = need('CLINICDOCS_SERVER_BIN');
const APP_BIN = need('CLINICDOCS_DESKTOP_BIN');
const DRIVER_BIN = need('CLINICDOCS_TAURI_DRIVER');
const OUT = process.env.E2E_OUT || join(process.cwd(), 'tests/e2e/out');
mkdirSync(OUT, { recursive: true });

const work = mkdtempSync(join(tmpdir(), 'clinicdocs-clinic-'));
let passed = 0;
let s;

async function shot(name) {
  await new Promise((r) => setTimeout(r, 150));
  try {
    execFileSync('import', ['-window', 'root', join(OUT, name)], { stdio: 'ignore' });
  } catch {
    await s.screenshot(join(OUT, name));
  }
}

async function step(name, f) {
  const t = Date.now();
  try {
    await f();
    passed += 1;
    console.log(`ok   ${name} (${Date.now() - t} ms)`);
  } catch (e) {
    console.log(`FAIL ${name}: ${e.stack || e}`);
    const seen = await s?.exec('return location.href + "\\n" + document.body.innerText').catch((x) => String(x));
    console.log(`the window showed:\n${seen}`);
    await s?.screenshot(join(OUT, `failed-clinic-${name.replace(/[^a-z0-9]+/gi, '-')}.png`)).catch(() => {});
    throw e;
  }
}

/** Sets an input's value as typing does (an `input` event), for fields like dates. */
const fill = (css, value) =>
  s.exec(
    `const i = document.querySelector(arguments[0]); i.value = arguments[1]; i.dispatchEvent(new Event('input', { bubbles: true })); return i.value;`,
    css,
    value,
  );
/** Clicks the button labelled `label` inside `scope`. */
const clickButton = async (scope, label) =>
  assert.ok(
    await s.exec(
      'const b = [...document.querySelectorAll(arguments[0] + " button")].find((x) => x.textContent.trim() === arguments[1]); b?.click(); return !!b;',
      scope,
      label,
    ),
    `a “${label}” button in ${scope}`,
  );
const bodyText = () => s.exec('return document.body.innerText');

const ADMIN = 'ada@northside-clinic.org';
const RECEPTION = 'rita@northside-clinic.org';
const ADMIN_PW = 'granite kettle orbit';
const RECEPTION_PW = 'walnut lantern tide';
const serverArgs = ['--data-dir', join(work, 'server')];
let adminCode = '';

await step('the operator creates the clinic and its admin from the command line; a one-time setup code is printed', async () => {
  const out = execFileSync(
    SERVER_BIN,
    ['clinic', 'create', '--name', 'Northside Clinic', '--domain', 'northside-clinic.org', '--plan', 'professional',
      '--admin-email', ADMIN, '--admin-name', 'Ada Admin', ...serverArgs],
    { encoding: 'utf8' },
  );
  adminCode = out.match(/^ {4}(\S+)$/m)?.[1] ?? '';
  assert.match(adminCode, /^[A-Z0-9]{4}(-[A-Z0-9]{4})+$/, `a setup code in:\n${out}`);
  assert.ok(!/password/i.test(out.replace(/chooses a password/, '')), 'no password printed');
});

const server = await startServer(SERVER_BIN, work, 0, { demo: false });
const pickList = join(work, 'pick.txt');
const saveDir = join(work, 'saved');
mkdirSync(saveDir);
const scan = join(work, 'scan001.jpg');
execFileSync('convert', ['-size', '1240x1754', 'xc:white', '-fill', 'black', '-draw', 'rectangle 100,100 1100,180', '-quality', '85', scan]);
const driver = await startDriver(DRIVER_BIN, {
  CLINICDOCS_SERVER_URL: server.url,
  CLINICDOCS_TEST_PICK_FILES: pickList,
  CLINICDOCS_TEST_SAVE_DIR: saveDir,
  XDG_CONFIG_HOME: join(work, 'config'),
  XDG_CACHE_HOME: join(work, 'cache'),
  XDG_DATA_HOME: join(work, 'data'),
  NO_AT_BRIDGE: '1',
});
s = await Session.start(driver, APP_BIN);

async function firstSignIn(code, password) {
  await s.waitFor('form.signin', 'the sign-in form');
  if ((await s.findAll('input[name=code]')).length === 0) await s.click(await s.find('[data-testid=signin-mode]'));
  const codeEl = await s.waitFor('input[name=code]');
  await s.clear(codeEl);
  await s.type(codeEl, code);
  await s.type(await s.find('input[name=new-password]'), password);
  await s.type(await s.find('input[name=new-password-again]'), password + KEY.Enter);
  await s.waitFor('[data-testid=storage-gauge]', 'the signed-in window');
}

async function signOut() {
  await s.click(await s.find('[data-testid=sign-out]'));
  await s.waitFor('form.signin', 'the sign-in form again');
}

let receptionCode = '';
try {
  await step('the admin\'s first sign-in uses the printed code; she adds a receptionist and sees her code once', async () => {
    await firstSignIn(adminCode, ADMIN_PW);
    assert.match(await bodyText(), /Ada Admin/);
    await s.click(await s.find('[data-testid=open-staff]'));
    await s.waitFor('[data-testid=staff-dialog]');
    await s.type(await s.find('form.add input[maxlength="200"]'), 'Rita Reception');
    await s.type(await s.find('form.add input[type=email]'), RECEPTION);
    await s.select('form.add select', 'receptionist');
    await s.click(await s.find('form.add button[type=submit]'));
    const panel = await s.waitFor('[data-testid=setup-code] .code', 'the setup code to hand over');
    receptionCode = (await s.text(panel)).trim();
    assert.match(receptionCode, /^[A-Z0-9]{4}(-[A-Z0-9]{4})+$/);
    await until(async () => (await s.findAll('[data-testid=staff-row]')).length === 2, 'two people on the staff list');
    await shot('clinic-01-staff-added.png');
    await clickButton('[data-testid=setup-code]', 'Done');
    await until(async () => (await s.findAll('[data-testid=setup-code]')).length === 0, 'the code put away');
    await clickButton('[data-testid=staff-dialog] > .actions', 'Close');
    await until(async () => (await s.findAll('[data-testid=staff-dialog]')).length === 0, 'the staff dialog closed');
    await signOut();
  });

  await step('the receptionist signs in with her code, registers a walk-in patient and opens today\'s visit', async () => {
    await firstSignIn(receptionCode, RECEPTION_PW);
    const box = await s.waitFor('#patient-search');
    await s.click(box);
    await s.type(box, 'Ana Lima');
    await s.click(await s.waitFor('[data-testid=register-patient]', 'the offer to register “Ana Lima”'));
    await s.waitFor('[data-testid=patient-dialog]');
    assert.equal(await s.exec('return document.querySelector("[data-testid=patient-dialog] input[maxlength=\'200\']").value'), 'Ana Lima');
    await fill('[data-testid=patient-dialog] input[type=date]', '1990-02-03');
    await s.click(await s.find('[data-testid=patient-dialog] button[type=submit]'));
    await until(async () => (await s.exec('return document.querySelector("#docs-title")?.textContent || ""')) === 'Ana Lima', 'Ana Lima\'s file open');
    await s.click(await s.find('[data-testid=open-visit]'));
    await s.waitFor('[data-testid=visit-dialog]');
    await s.type(await s.find('[data-testid=visit-dialog] input[maxlength="500"]'), 'Walk-in: cough');
    await s.click(await s.find('[data-testid=visit-dialog] button[type=submit]'));
    await until(async () => (await bodyText()).includes('Visit opened: Walk-in: cough'), 'the visit opened');
  });

  await step('she uploads the scan; the form links it to today\'s visit; it arrives renamed', async () => {
    writeFileSync(pickList, scan + '\n');
    await s.click(await s.find('[data-testid=open-upload]'));
    await s.click(await s.waitFor('[data-testid=choose-file]'));
    const title = 'dialog[open] input[maxlength=\'200\']';
    await until(async () => (await s.exec(`return document.querySelector("${title}")?.value`)) === 'scan001', 'the title from the file name');
    const visit = await s.exec('const s = [...document.querySelectorAll("dialog[open] select")].find((x) => [...x.options].some((o) => o.textContent === "No visit")); return s ? s.options[s.selectedIndex].textContent : "";');
    assert.match(visit, /Walk-in: cough/, 'today\'s visit chosen');
    const t = await s.find(title);
    await s.clear(t);
    await s.type(t, 'Referral-Letter-Dec2026');
    await s.select('dialog[open] select[required]', 'referral');
    await s.click(await s.find('dialog[open] button[type=submit]'));
    await until(async () => (await s.exec('return [...document.querySelectorAll("[data-testid=document]")].map((d) => d.dataset.title).join("|")')) === 'Referral-Letter-Dec2026', 'the scan in the list');
    await shot('clinic-02-first-scan.png');
    await signOut();
  });

  await step('the admin finds the receptionist\'s upload in the audit trail and exports it as CSV', async () => {
    await s.waitFor('form.signin');
    if ((await s.findAll('input[name=code]')).length) await s.click(await s.find('[data-testid=signin-mode]'));
    const email = await s.waitFor('input[name=email]');
    await s.clear(email);
    await s.type(email, ADMIN);
    await s.type(await s.find('input[name=password]'), ADMIN_PW + KEY.Enter);
    await s.waitFor('[data-testid=storage-gauge]', 'the admin signed in');
    await s.click(await s.find('[data-testid=open-audit]'));
    const row = 'return [...document.querySelectorAll("[data-testid=audit-row][data-action=document_uploaded]")].map((r) => r.textContent).join("\\n")';
    await until(async () => /Rita Reception uploaded ‘Referral-Letter-Dec2026’ of Ana Lima/.test(await s.exec(row)), 'the upload, in words');
    await shot('clinic-03-audit.png');
    await s.click(await s.find('[data-testid=export-audit]'));
    await s.waitFor('[data-testid=audit-saved]', 'where the CSV was saved');
    const [csvName] = readdirSync(saveDir).filter((f) => f.endsWith('.csv'));
    assert.ok(csvName, `a CSV in ${readdirSync(saveDir)}`);
    const csv = readFileSync(join(saveDir, csvName), 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    assert.match(lines[0], /action/i, 'a header row');
    assert.ok(lines.some((l) => l.includes('document_uploaded') && l.includes('Referral-Letter-Dec2026') && l.includes(RECEPTION)), `the upload in the CSV:\n${csv}`);
    assert.ok(lines.some((l) => l.includes('staff_added')), 'the receptionist\'s addition in the CSV');
  });
} finally {
  await s.end().catch(() => {});
}
console.log(`clinic e2e: ${passed} passed, 0 failed; screenshots in ${OUT}`);
process.exit(0);
