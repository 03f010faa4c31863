// End to end: the built desktop app in a real window (run under Xvfb by run.sh), driven over
// WebDriver by tauri-driver + WebKitWebDriver, against a real clinicdocs-server with demo data.
// The story of issue 3: sign in; pick a patient; give them a photo from a file; upload a PDF
// and a JPEG through the form; see both thumbnails; filter by type; viewer to PDF page 2 and →
// to the next document; the gauge moves; a receptionist cannot see the doctor's X-ray; download all gives the right zip; an
// admin deletes; a restart signs in again from the keyring; files queued while the server is
// down are counted in the window title, make the close button ask first (sent as a window
// manager sends it), survive closing and an offline start, and arrive once when it is back; a
// dropped folder with bad files is reviewed, nothing half-sent, and the good files arrive as one
// batch; scans from the scanner folder are turned, combined into one PDF and leave the folder; a
// mark drawn while the server is down waits on this computer and arrives once; a DICOM X-ray
// gets its tile, is viewed at another window, measured in millimetres and degrees, exported at
// that window, and keeps its marks over a restart. Screenshots go to $E2E_OUT.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, mkdirSync, writeFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Session, KEY, ELEMENT, until, pdf } from './webdriver.mjs';
import { startServer, startDriver, startSmtpSink } from './processes.mjs';

const need = (k) => process.env[k] || (console.error(`set ${k}`), process.exit(2));
const SERVER_BIN = need('CLINICDOCS_SERVER_BIN');
const APP_BIN = need('CLINICDOCS_DESKTOP_BIN');
const DRIVER_BIN = need('CLINICDOCS_TAURI_DRIVER');
const OUT = process.env.E2E_OUT || join(process.cwd(), 'tests/e2e/out');
mkdirSync(OUT, { recursive: true });

const work = mkdtempSync(join(tmpdir(), 'clinicdocs-e2e-'));
let passed = 0;
let failed = 0;

/** What is on the X display right now (WebKitWebDriver's own screenshot can show a stale frame). */
async function shot(name) {
  await new Promise((r) => setTimeout(r, 150)); // one more frame for the compositor
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
    failed += 1;
    console.log(`FAIL ${name}: ${e.stack || e}`);
    const seen = await s.exec('return location.href + "\\n" + document.body.innerText').catch((x) => String(x));
    console.log(`the window showed:\n${seen}`);
    await s.screenshot(join(OUT, `failed-${name.replace(/[^a-z0-9]+/gi, '-')}.png`)).catch(() => {});
    throw e;
  }
}

const mailDir = join(work, 'mail');
mkdirSync(mailDir);
const smtpUrl = await startSmtpSink(mailDir);
let serverProc = await startServer(SERVER_BIN, work, 0, {
  env: { CLINICDOCS_SMTP_URL: smtpUrl, CLINICDOCS_MAIL_FROM: 'documents@demo.clinic' },
});
const server = serverProc.url;
const files = join(work, 'files');
mkdirSync(files);
const pdfPath = join(files, 'CBC-Report-Apr2026.pdf');
writeFileSync(pdfPath, pdf(3));
const jpgPath = join(files, 'chest xray.jpg');
execFileSync('convert', ['-size', '1600x1200', 'gradient:#224488-#eeeeee', '-quality', '90', jpgPath]);
const pickList = join(work, 'pick.txt');
mkdirSync(join(work, 'scanner'));
const saveDir = join(work, 'saved');
mkdirSync(saveDir);
const appEnv = {
  CLINICDOCS_SERVER_URL: server,
  CLINICDOCS_TEST_PICK_FILES: pickList,
  CLINICDOCS_TEST_SAVE_DIR: saveDir,
  CLINICDOCS_TEST_PICK_FOLDER: join(work, 'scanner'),
  XDG_CONFIG_HOME: join(work, 'config'),
  XDG_CACHE_HOME: join(work, 'cache'),
  XDG_DATA_HOME: join(work, 'data'),
  NO_AT_BRIDGE: '1',
};
const driver = await startDriver(DRIVER_BIN, appEnv);
let s = await Session.start(driver, APP_BIN);

const docTitles = async () => {
  const els = await s.findAll('[data-testid=document]');
  return Promise.all(els.map((e) => s.exec('return arguments[0].dataset.title', { [ELEMENT]: e })));
};
const gaugeText = async () => s.text(await s.waitFor('[data-testid=storage-gauge]'));

async function signIn(email) {
  await s.waitFor('form.signin', 'the sign-in form');
  const emailEl = await s.find('input[name=email]');
  await s.clear(emailEl);
  await s.type(emailEl, email);
  await s.type(await s.find('input[name=password]'), 'demo' + KEY.Enter);
  await s.waitFor('[data-testid=storage-gauge]', 'the signed-in window');
}

async function openPatient(name) {
  const box = await s.waitFor('#patient-search');
  await s.click(box);
  await s.clear(box);
  await s.type(box, name.split(' ')[0]);
  await until(async () => (await s.exec('return document.querySelector("#patient-results [role=option]")?.textContent || ""')).includes(name), `${name} in the results`);
  await s.type(box, KEY.Enter);
  await until(async () => (await s.text(await s.find('#docs-title'))) === name, `the Documents tab of ${name}`);
}

/** Hands a file to the queue through the form, without waiting for it to be sent. */
async function queueFile(path, category) {
  writeFileSync(pickList, path + '\n');
  await s.click(await s.waitFor('[data-testid=open-upload]'));
  await s.click(await s.waitFor('[data-testid=choose-file]'));
  await until(async () => (await s.exec('return document.querySelector("dialog[open] input[maxlength=\'200\']")?.value')) !== '', 'the title from the file name');
  await s.select('dialog[open] select[required]', category);
  await s.click(await s.find('dialog[open] button[type=submit]'));
  await until(async () => (await s.findAll('dialog[open]')).length === 0, 'the form to close once queued');
}

/**
 * Drops paths on the window. WebDriver cannot drag from a file manager, so this calls the
 * test seam `test_drop`, which runs the same function as the native drop event.
 */
async function dropOnWindow(paths) {
  await s.exec('window.__TAURI_INTERNALS__.invoke("test_drop", { paths: arguments[0] }).catch((e) => { window.__dropError = e; }); return true;', paths);
  await s.waitFor('[data-testid=import-sheet]', 'the review sheet');
}

const rowProblems = () =>
  s.exec('return Object.fromEntries([...document.querySelectorAll("[data-testid=import-row]")].map((r) => [r.dataset.file, r.dataset.problems]))');

/** Uploads through the form and waits until the server has it (it shows in the list). */
async function upload(path, category) {
  const before = (await docTitles()).length;
  await queueFile(path, category);
  await until(async () => (await docTitles()).length === before + 1, 'the new document in the list');
}

try {
  await step('a doctor signs in with the server address prefilled', async () => {
    await s.waitFor('form.signin', 'the sign-in form');
    const prefilled = await s.exec('return document.querySelector("input[name=server]")?.value');
    assert.equal(prefilled, server);
    await shot('01-sign-in.png');
    await signIn('doctor@demo.clinic');
  });

  let gaugeBefore = '';
  await step('picks a patient from the keyboard', async () => {
    gaugeBefore = await gaugeText();
    await openPatient('Maria Garcia');
  });

  await step('the doctor adds the patient\'s photo from a file: the header shows the server\'s avatar; a PDF is named as not a photo', async () => {
    await s.waitFor('[data-testid=patient-initials]', 'initials while there is no photo');
    writeFileSync(pickList, pdfPath + '\n');
    await s.click(await s.find('[data-testid=choose-photo]'));
    await until(async () => (await s.exec('return document.querySelector("[role=alert]")?.textContent || ""')).includes('“CBC-Report-Apr2026.pdf” is not a photo'), 'the PDF named as not a photo');
    writeFileSync(pickList, jpgPath + '\n');
    await s.click(await s.find('[data-testid=choose-photo]'));
    // The server resized the 1600×1200 picture to its 96-px avatar; that is what the header shows.
    await until(async () => (await s.exec('const i = document.querySelector("[data-testid=patient-photo]"); return i && i.complete ? `${i.naturalWidth}x${i.naturalHeight}` : ""')) === '96x72', 'the avatar from the server');
    await shot('02-patient-photo.png');
  });

  await step('uploads a PDF and a JPEG through the form; both thumbnails show', async () => {
    await upload(pdfPath, 'lab');
    await upload(jpgPath, 'imaging');
    const titles = await docTitles();
    assert.deepEqual([...titles].sort(), ['CBC-Report-Apr2026', 'chest xray']);
    await until(
      () => s.exec('const imgs = [...document.querySelectorAll("ul.grid img")]; return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);'),
      'both thumbnails to load',
    );
    await shot('02-documents-grid.png');
  });

  await step('the storage gauge moved', async () => {
    await until(async () => (await gaugeText()) !== gaugeBefore, 'the gauge to change');
  });

  await step('filters by type with counts', async () => {
    const xray = await s.find('button[data-category=imaging]');
    assert.match(await s.text(xray), /X-?ray.*1/i);
    await s.click(xray);
    await until(async () => JSON.stringify(await docTitles()) === JSON.stringify(['chest xray']), 'only the X-ray');
    await s.click(await s.find('.filters button[role=radio]'));
    await until(async () => (await docTitles()).length === 2, 'all documents again');
  });

  await step('the viewer shows PDF page 2 and → goes to the next document', async () => {
    // Oldest first: the PDF (uploaded first) is 1 of 2, so → has somewhere to go.
    await s.select('[data-testid=sort-order]', 'asc');
    await until(async () => (await docTitles())[0] === 'CBC-Report-Apr2026', 'oldest first');
    await s.click(await s.find('[data-testid=document][data-title="CBC-Report-Apr2026"] button.open'));
    await until(async () => (await s.text(await s.find('[data-testid=viewer-position]'))) === '1 of 2', '1 of 2');
    await until(async () => (await s.text(await s.find('[data-testid=viewer-page]'))) === 'Page 1 of 3', 'page 1 of 3');
    await s.click(await s.find('button[aria-label^="Next page"]'));
    await until(async () => (await s.text(await s.find('[data-testid=viewer-page]'))) === 'Page 2 of 3', 'page 2 of 3');
    await until(() => s.exec('const i = document.querySelector("[data-testid=viewer-image]"); return i && i.complete && i.naturalWidth > 0 && i.src.includes("/2?")'), 'page 2 rendered');
    await shot('03-viewer-pdf-page-2.png');
    const before = await s.text(await s.find('[data-testid=viewer-title]'));
    await s.keys(KEY.ArrowRight);
    await until(async () => (await s.text(await s.find('[data-testid=viewer-title]'))) !== before, 'the next document');
    await until(() => s.exec('const i = document.querySelector("[data-testid=viewer-image]"); return i && i.complete && i.naturalWidth > 0'), 'the image');
    await shot('04-viewer-next.png');
    await s.keys(KEY.Escape);
    await until(async () => (await s.findAll('dialog[open]')).length === 0, 'the viewer to close');
  });

  await step('a doctor draws on the X-ray and on PDF page 2; after a restart the marks are where they were', async () => {
    const imageRect = () => s.exec('const b = document.querySelector("[data-testid=viewer-image]").getBoundingClientRect(); return { x: b.left, y: b.top, w: b.width, h: b.height };');
    const loaded = (needle) => until(() => s.exec(`const i = document.querySelector("[data-testid=viewer-image]"); return !!i && i.complete && i.naturalWidth > 0 && i.src.includes(${JSON.stringify(needle)})`), 'the page drawn');
    const saved = (n) => until(async () => (await s.findAll('[data-testid=mark]')).length === n && (await s.text(await s.find('[data-testid=annotation-status]'))) === 'Saved', `${n} mark saved`);
    // Where each mark is, in page fractions, read back from the screen.
    const marksOnPage = () =>
      s.exec(`const img = document.querySelector("[data-testid=viewer-image]").getBoundingClientRect();
        const layer = document.querySelector("[data-testid=annotation-layer]").getBoundingClientRect();
        const fx = (x) => (layer.left + x - img.left) / img.width, fy = (y) => (layer.top + y - img.top) / img.height;
        // The marks' SVG is the page in page pixels, placed by a CSS transform: where its box
        // really is on screen says where each of its points is (WebKit's getScreenCTM ignores
        // CSS transforms, so the box is read instead).
        const marksSvg = document.querySelector("svg.page-marks");
        const box = marksSvg.getBoundingClientRect();
        const sx = box.width / marksSvg.width.baseVal.value, sy = box.height / marksSvg.height.baseVal.value;
        const on = (el, x, y) => ({ x: box.left - layer.left + x * sx, y: box.top - layer.top + y * sy });
        return [...document.querySelectorAll("[data-testid=mark]")].map((g) => {
          const l = g.querySelector("line"), r = g.querySelector("rect");
          const [a, b] = l ? [on(l, +l.getAttribute("x1"), +l.getAttribute("y1")), on(l, +l.getAttribute("x2"), +l.getAttribute("y2"))]
                           : [on(r, +r.getAttribute("x"), +r.getAttribute("y")), on(r, +r.getAttribute("x") + +r.getAttribute("width"), +r.getAttribute("y") + +r.getAttribute("height"))];
          return [g.dataset.kind, fx(a.x), fy(a.y), fx(b.x), fy(b.y)];
        });`);
    const at = (r, fx, fy) => ({ x: r.x + fx * r.w, y: r.y + fy * r.h });
    const openDoc = async (title) => {
      await s.click(await s.waitFor(`[data-testid=document][data-title="${title}"] button.open`));
      await s.waitFor('[data-testid=annotation-layer]', 'the annotation layer');
    };
    const toPage2 = async () => {
      await s.click(await s.find('button[aria-label^="Next page"]'));
      await until(async () => (await s.text(await s.find('[data-testid=viewer-page]'))) === 'Page 2 of 3', 'page 2 of 3');
      await loaded('/2?');
    };
    // The page as shown, without its top band (the tool bar, whose undo button rightly differs
    // after a restart) and a 2-px margin (sub-pixel rounding of the crop).
    const crop = (file, r) => {
      const out = file.replace('.png', '-page.png');
      const box = `${Math.floor(r.w) - 4}x${Math.floor(r.h) - 60}+${Math.ceil(r.x) + 2}+${Math.ceil(r.y) + 56}`;
      execFileSync('convert', [join(OUT, file), '-crop', box, '+repage', join(OUT, out)]);
      return join(OUT, out);
    };
    // Pixels that differ once both are softened a little, so a sub-pixel shift of the page does
    // not count and a mark a few pixels off does.
    const differing = (a, b) => {
      const [ba, bb] = [a, b].map((f) => {
        const out = f.replace('.png', '-soft.png');
        execFileSync('convert', [f, '-blur', '0x1.2', out]);
        return out;
      });
      try {
        execFileSync('compare', ['-metric', 'AE', '-fuzz', '8%', ba, bb, 'null:'], { stdio: ['ignore', 'pipe', 'pipe'] });
        return 0;
      } catch (e) {
        return Number(String(e.stderr).trim().split(' ')[0]); // compare exits 1 when they differ
      }
    };
    const shifted = (f) => {
      const out = f.replace('.png', '-shifted.png');
      execFileSync('convert', [f, '-roll', '+5+3', out]);
      return out;
    };

    await openDoc('chest xray');
    await loaded('/original/');
    await s.keys('a');
    let r = await imageRect();
    await s.pointerDrag(at(r, 0.25, 0.3), at(r, 0.7, 0.65));
    await saved(1);
    await s.keys('h'); // back to panning: the new mark is no longer selected
    const xrayBefore = await marksOnPage();
    await shot('04a-xray-marked.png');
    const xrayCropBefore = crop('04a-xray-marked.png', r);
    await s.keys(KEY.Escape);
    await openDoc('CBC-Report-Apr2026');
    await toPage2();
    await s.keys('g');
    r = await imageRect();
    await s.pointerDrag(at(r, 0.15, 0.2), at(r, 0.6, 0.35));
    await saved(1);
    await s.keys('h');
    const pdfBefore = await marksOnPage();
    await shot('04b-pdf-page-2-marked.png');
    const pdfCropBefore = crop('04b-pdf-page-2-marked.png', r);

    await s.end();
    s = await Session.start(driver, APP_BIN);
    await s.waitFor('[data-testid=storage-gauge]', 'the window signed in again');
    await openPatient('Maria Garcia');
    await openDoc('chest xray');
    await loaded('/original/');
    await saved(1);
    const xrayAfter = await marksOnPage();
    await shot('04c-xray-after-restart.png');
    const xrayCropAfter = crop('04c-xray-after-restart.png', await imageRect());
    // Exported with its marks (made by the app, PNG): the arrow's middle is in the arrow's red.
    await s.click(await s.find('[data-testid=export-annotated]'));
    await until(async () => (await s.text(await s.find('[data-testid=export-status]'))).startsWith('Saved with its marks'), 'the export');
    const png = join(saveDir, 'chest xray - annotated.png');
    const mid = execFileSync('convert', [png, '-format', '%[fx:int(255*p{760,570}.r)],%[fx:int(255*p{760,570}.g)],%[fx:int(255*p{760,570}.b)]', 'info:'], { encoding: 'utf8' }).split(',').map(Number);
    assert.ok(mid[0] > 180 && mid[1] < 110 && mid[2] < 110, `the exported X-ray shows the red arrow: ${mid}`);
    await s.keys(KEY.Escape);
    await openDoc('CBC-Report-Apr2026');
    await toPage2();
    await saved(1);
    const pdfAfter = await marksOnPage();
    await shot('04d-pdf-page-2-after-restart.png');
    const pdfCropAfter = crop('04d-pdf-page-2-after-restart.png', await imageRect());
    await s.keys(KEY.Escape);

    const same = (a, b, what) => {
      assert.equal(a.length, b.length, what);
      a.forEach((m, i) => m.slice(1).forEach((v, k) => assert.ok(Math.abs(v - b[i][k + 1]) < 0.002, `${what}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`)));
    };
    same(xrayAfter, xrayBefore, 'the arrow on the X-ray');
    same(pdfAfter, pdfBefore, 'the highlight on PDF page 2');
    assert.ok(Math.abs(xrayBefore[0][1] - 0.25) < 0.01 && Math.abs(xrayBefore[0][4] - 0.65) < 0.01, `drawn where the pointer went: ${xrayBefore}`);
    const [rx, rp] = [differing(xrayCropBefore, xrayCropAfter), differing(pdfCropBefore, pdfCropAfter)];
    const control = differing(pdfCropBefore, shifted(pdfCropBefore));
    console.log(`     screenshots before/after the restart differ in ${rx} (X-ray) and ${rp} (PDF page 2) pixels; the same page moved 5×3 px: ${control}`);
    assert.ok(control > 2000, `the comparison sees a few pixels' move (${control})`);
    assert.ok(rx < 500 && rp < 500, `the pictures match: ${rx}, ${rp} pixels differ`);
  });

  await step('a DICOM CT: its tile from the server, viewed at the lung window, a length in mm and an angle in degrees, exported at the window shown; after a restart the marks read the same', async () => {
    const corpus = need('CLINICDOCS_DICOM_CORPUS');
    const ct = join(files, 'Head CT.dcm');
    copyFileSync(join(corpus, 'CT_small.dcm'), ct); // 128 × 128 pixels of 0.661468 mm
    await openPatient('Aisha Khan');
    await upload(ct, 'imaging');
    const tile = '[data-testid=document][data-title="Head CT"]';
    await until(() => s.exec(`const i = document.querySelector('${tile} img'); return !!i && i.complete && i.naturalWidth > 0`), 'the DICOM tile drawn');
    const frameShown = () => until(() => s.exec('const i = document.querySelector("[data-testid=viewer-image]"); return !!i && i.complete && i.naturalWidth > 0 && i.src.includes("dicom/")'), 'the DICOM frame drawn');
    const openCt = async () => {
      await s.click(await s.waitFor(`${tile} button.open`));
      await s.waitFor('[data-testid=annotation-layer]', 'the annotation layer');
      await frameShown();
    };
    await openCt();
    const fileWindow = await s.text(await s.waitFor('[data-testid=viewer-window]'));
    await s.select('[data-testid=window-preset]', 'Lung');
    await until(async () => (await s.text(await s.find('[data-testid=viewer-window]'))) !== fileWindow, 'the window label to change');
    await frameShown();
    const lungWindow = await s.text(await s.find('[data-testid=viewer-window]'));
    assert.match(lungWindow, /1500/, `the lung window shown: ${lungWindow}`);
    const r = await s.exec('const b = document.querySelector("[data-testid=viewer-image]").getBoundingClientRect(); return { x: b.left, y: b.top, w: b.width, h: b.height };');
    const at = (fx, fy) => ({ x: r.x + fx * r.w, y: r.y + fy * r.h });
    const saved = (n) => until(async () => (await s.findAll('[data-testid=mark]')).length === n && (await s.text(await s.find('[data-testid=annotation-status]'))) === 'Saved', `${n} marks saved`);
    await s.keys('l');
    await s.pointerDrag(at(0.2, 0.8), at(0.7, 0.8));
    await saved(1);
    await s.keys('n');
    const [f, v, t] = [at(0.25, 0.3), at(0.5, 0.6), at(0.85, 0.35)];
    await s.pointerDrag(f, v);
    await s.waitFor('[data-testid=angle-hint]', 'the angle waiting for its second arm');
    await s.pointerDrag(t, t, 1);
    await saved(2);
    await s.keys('h');
    await shot('04f-dicom-measured.png');
    const labels = () => s.exec('return Object.fromEntries([...document.querySelectorAll("[data-testid=mark]")].map((g) => [g.dataset.kind, g.querySelector("text")?.textContent]))');
    const before = await labels();
    const mm = /^(\d+\.\d) mm \((\d+) px\)$/.exec(before.measure);
    assert.ok(mm, `the length in millimetres: ${before.measure}`);
    assert.ok(Math.abs(Number(mm[2]) - 64) <= 2, `half of 128 pixels across: ${before.measure}`);
    assert.ok(Math.abs(Number(mm[1]) / Number(mm[2]) - 0.661468) < 0.01, `0.66 mm per pixel: ${before.measure}`);
    // Square pixels: the degrees are those between the pointer's own moves on the screen.
    const arm = (p) => ({ x: p.x - v.x, y: p.y - v.y });
    const [a, b] = [arm(f), arm(t)];
    const want = (Math.acos((a.x * b.x + a.y * b.y) / (Math.hypot(a.x, a.y) * Math.hypot(b.x, b.y))) * 180) / Math.PI;
    assert.ok(Math.abs(Number(before.angle.replace('°', '')) - want) < 1.5, `the angle: ${before.angle} vs ${want.toFixed(1)}°`);

    // Exported at the window shown: the lung window's picture, then the file's own, differ.
    const exported = join(saveDir, 'Head CT - annotated.png');
    const exportNow = async (name) => {
      await s.click(await s.find('[data-testid=export-annotated]'));
      await until(async () => (await s.text(await s.find('[data-testid=export-status]'))).startsWith('Saved with its marks'), 'the export');
      copyFileSync(exported, join(OUT, name));
      return join(OUT, name);
    };
    const lungPng = await exportNow('04g-dicom-export-lung.png');
    await s.select('[data-testid=window-preset]', '');
    await until(async () => (await s.text(await s.find('[data-testid=viewer-window]'))) === fileWindow, "the file's window again");
    await frameShown();
    const ownPng = await exportNow('04h-dicom-export-own-window.png');
    const im = (file, format) => execFileSync('convert', [file, '-format', format, 'info:'], { encoding: 'utf8' }).trim();
    assert.equal(im(lungPng, '%wx%h'), '128x128', 'the frame at its own size');
    // Pixels near the marks' red made white, every other black: the count of red pixels.
    const red = Number(execFileSync('convert', [lungPng, '-fuzz', '15%', '-fill', 'black', '+opaque', '#e53935', '-fill', 'white', '-opaque', '#e53935', '-format', '%[fx:mean*w*h]', 'info:'], { encoding: 'utf8' }));
    assert.ok(red > 30, `the marks are burned in: ${red} pixels of their red`);
    const [lungMean, ownMean] = [Number(im(lungPng, '%[fx:mean]')), Number(im(ownPng, '%[fx:mean]'))];
    console.log(`     DICOM export mean grey: lung window ${lungMean.toFixed(3)}, the file's window ${ownMean.toFixed(3)}`);
    assert.ok(Math.abs(lungMean - ownMean) > 0.05, `each export is at the window shown: ${lungMean} vs ${ownMean}`);
    await s.keys(KEY.Escape);

    await s.end();
    s = await Session.start(driver, APP_BIN);
    await s.waitFor('[data-testid=storage-gauge]', 'the window signed in again');
    await openPatient('Aisha Khan');
    await openCt();
    await saved(2);
    assert.deepEqual(await labels(), before, 'the marks read the same after a restart');
    await shot('04i-dicom-after-restart.png');
    await s.keys(KEY.Escape);
    await openPatient('Maria Garcia');
  });

  await step("a three-page fax TIFF, a scanner's BMP, a WebP and a phone's HEIC photo: each gets its tile from the server and opens in the viewer at its own size; every page of the TIFF is shown", async () => {
    // A 1200×800 picture: dark left half, light right half (the colours each decoder gives are
    // checked by the Rust tests; here: every format reaches the window, tile and full size).
    const base = join(files, 'base.png');
    execFileSync('convert', ['-size', '600x800', 'xc:#203040', '-size', '600x800', 'xc:#e0d0c0', '+append', base]);
    const pictures = [
      // Three pages, the second upright (800×1200): a fax of a referral letter.
      // Palette colours, as some scanners save (the server and the app colour the indices).
      ['Fax referral.tif', ['convert', [base, '(', base, '-rotate', '90', ')', base, '+dither', '-colors', '64', '-type', 'Palette', '-compress', 'lzw', join(files, 'Fax referral.tif')]]],
      // A 1-bit BMP, as scanners write black-and-white sheets (small, so that the storage gauge
      // in kilobytes still shows the later delete).
      ['Scanner sheet.bmp', ['convert', [base, '-type', 'Bilevel', join(files, 'Scanner sheet.bmp')]]],
      ['Wound photo.webp', ['convert', [base, '-quality', '85', join(files, 'Wound photo.webp')]]],
      ['Rash photo.heic', ['heif-enc', ['-q', '85', '-o', join(files, 'Rash photo.heic'), base]]],
    ];
    await openPatient('Li Wei');
    for (const [name, [tool, args]] of pictures) {
      execFileSync(tool, args, { stdio: 'ignore' });
      await upload(join(files, name), 'photo');
    }
    for (const [name] of pictures) {
      const title = name.replace(/\.[a-z]+$/, '');
      const tile = `[data-testid=document][data-title="${title}"]`;
      const tileSize = () => s.exec(`const i = document.querySelector('${tile} img'); return i && i.complete && i.naturalWidth > 0 ? i.naturalWidth + 'x' + i.naturalHeight : ''`);
      await until(async () => (await tileSize()) === '256x171', `${name}: its 256-px tile`);
      await s.click(await s.find(`${tile} button.open`));
      const shown = () => s.exec('const i = document.querySelector("[data-testid=viewer-image]"); return i && i.complete && i.naturalWidth > 0 ? i.naturalWidth + "x" + i.naturalHeight : ""');
      await until(async () => (await shown()) === '1200x800', `${name}: shown at 1200×800`);
      if (name.endsWith('.tif')) {
        assert.equal(await s.text(await s.find('[data-testid=viewer-page]')), 'Page 1 of 3');
        await s.keys(KEY.PageDown);
        await until(async () => (await shown()) === '800x1200', 'the TIFF\'s upright page 2');
        assert.equal(await s.text(await s.find('[data-testid=viewer-page]')), 'Page 2 of 3');
        await shot('04j-tiff-page-2.png');
        await s.keys(KEY.PageDown);
        await until(async () => (await shown()) === '1200x800', "the TIFF's page 3");
        assert.equal(await s.text(await s.find('[data-testid=viewer-page]')), 'Page 3 of 3');
      }
      if (name.endsWith('.heic')) await shot('04k-heic-in-viewer.png');
      await s.keys(KEY.Escape);
      await until(async () => (await s.findAll('[data-testid=viewer-image]')).length === 0, 'the viewer closed');
    }
    await shot('04l-picture-formats-grid.png');
    await openPatient('Maria Garcia');
  });

  await step('a mark drawn while the server is down is kept on this computer, counted in the title, and reaches the server once when it is back', async () => {
    const status = async () => s.text(await s.find('[data-testid=annotation-status]'));
    const title = () => execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'close-window.py'), 'Clinic Documents', '--title-only'], { encoding: 'utf8' }).trim();
    const docId = await s.exec('return document.querySelector(\'[data-testid=document][data-title="chest xray"]\').dataset.id');
    await s.click(await s.waitFor('[data-testid=document][data-title="chest xray"] button.open'));
    await until(() => s.exec('const i = document.querySelector("[data-testid=viewer-image]"); return !!i && i.complete && i.naturalWidth > 0'), 'the X-ray drawn');
    await until(async () => (await s.findAll('[data-testid=mark]')).length === 1, 'the arrow from before');
    await serverProc.stop();
    await s.keys('m');
    const r = await s.exec('const b = document.querySelector("[data-testid=viewer-image]").getBoundingClientRect(); return { x: b.left, y: b.top, w: b.width, h: b.height };');
    const p = { x: r.x + 0.8 * r.w, y: r.y + 0.2 * r.h };
    await s.pointerDrag(p, p, 1);
    await until(async () => (await status()) === 'Saved on this computer — sent when the server is back', 'the mark kept on this computer', 20000);
    assert.equal(title(), 'Clinic Documents — 1 mark change waiting');
    await s.keys('h');
    await shot('04e-mark-kept-offline.png');
    const markId = await s.exec('return document.querySelector("[data-testid=mark][data-kind=marker]").dataset.id');
    serverProc = await serverProc.restart();
    await until(async () => (await status()) === 'Saved', 'the mark sent once the server is back', 60000);
    await until(async () => title() === 'Clinic Documents', 'nothing left waiting in the title');
    const login = await (await fetch(new URL('/api/v1/auth/login', server), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'doctor@demo.clinic', password: 'demo' }) })).json();
    const stored = await (await fetch(new URL(`/api/v1/documents/${docId}/annotations`, server), { headers: { authorization: `Bearer ${login.token}` } })).json();
    assert.deepEqual(stored.map((a) => a.kind).sort(), ['arrow', 'marker'], `on the server: ${JSON.stringify(stored)}`);
    assert.equal(stored.find((a) => a.kind === 'marker').id, markId, 'the mark drawn offline, with its own id, once');
    await s.keys(KEY.Escape);
  });

  await step("a doctor shares the X-ray and the PDF with a new contact; the email arrives, its link opens the portal, and the Share dialog and the patient's shares then say opened", async () => {
    const mails = () => readdirSync(mailDir).filter((f) => f.endsWith('.json')).sort();
    const shareFrom = async (title) => {
      await s.click(await s.find(`[data-testid=document][data-title="${title}"] button[aria-label="Share ${title}"]`));
      await s.waitFor('dialog[open] select, dialog[open] input[type=email]', 'the share dialog');
    };
    await shareFrom('chest xray');
    // The first time there is no contact yet: the new-contact form is open.
    await s.type(await s.find('dialog[open] input[name=contact-name]'), 'Dr. Lee');
    await s.type(await s.find('dialog[open] input[name=contact-email]'), 'lee@ortho.example');
    await s.click(await s.waitFor('dialog[open] button.primary', 'Add contact'));
    await s.waitFor('dialog[open] select', 'the contact chosen');
    await s.click(await s.find('dialog[open] button.primary'));
    await until(async () => (await s.exec('return document.querySelector("dialog[open] [role=status]")?.textContent || ""')).includes('Sent to Dr. Lee'), 'the share sent');
    await shot('23-share-dialog.png');
    await s.keys(KEY.Escape);
    await until(async () => (await s.findAll('dialog[open]')).length === 0, 'the share dialog to close');
    await shareFrom('CBC-Report-Apr2026');
    await s.click(await s.find('dialog[open] button.primary'));
    await until(async () => (await s.exec('return document.querySelector("dialog[open] [role=status]")?.textContent || ""')).includes('Sent to Dr. Lee'), 'the second share sent');
    await until(() => mails().length === 2, 'two emails delivered');
    const first = JSON.parse(readFileSync(join(mailDir, mails()[0]), 'utf8'));
    assert.deepEqual(first.envelope_to, ['lee@ortho.example']);
    const link = first.text.match(/https?:\/\/\S+/)[0];
    assert.ok(link.startsWith(`${server}/share/`), link);
    const page = await fetch(link);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.ok(html.includes('chest xray') && html.includes('Dr. Dana Doctor'), 'the portal names the X-ray and who sent it');
    const original = html.match(/href="(\/share\/[^"]+\/original)"/)[1];
    const bytes = Buffer.from(await (await fetch(`${server}${original}`)).arrayBuffer());
    assert.ok(bytes.equals(readFileSync(jpgPath)), 'the X-ray downloads byte for byte');
    await s.keys(KEY.Escape);
    await until(async () => (await s.findAll('dialog[open]')).length === 0, 'the share dialog to close');
    await shareFrom('chest xray');
    await until(async () => (await s.exec('return document.querySelector("dialog[open] [data-testid=share]")?.textContent || ""')).includes('Opened'), 'the X-ray\'s share shown opened');
    await shot('24-share-opened.png');
    await s.keys(KEY.Escape);
    await until(async () => (await s.findAll('dialog[open]')).length === 0, 'the share dialog to close');
    // The patient's list holds both: the X-ray's opened, the letter's still waiting.
    await s.click(await s.find('[data-testid=open-patient-shares]'));
    const rows = () => s.exec('return [...document.querySelectorAll("dialog[open] [data-testid=share]")].map((e) => e.textContent)');
    await until(async () => (await rows()).length === 2, "the patient's two shares listed");
    const [letter, xray] = await rows();
    assert.ok(xray.includes('chest xray') && xray.includes('Opened') && xray.includes('Shared by Dr. Dana Doctor'), xray);
    assert.ok(letter.includes('CBC-Report-Apr2026') && letter.includes('Not opened yet'), letter);
    await shot('25-patient-shares.png');
    await s.keys(KEY.Escape);
    await until(async () => (await s.findAll('dialog[open]')).length === 0, "the patient's shares to close");
  });

  await step('download all gives one zip with both files', async () => {
    await s.click(await s.find('[data-testid=download-all]'));
    await until(async () => (await s.exec('return document.querySelector(".notice")?.textContent || ""')).includes('Saved 2 documents'), 'the zip to be saved');
    const zips = readdirSync(saveDir).filter((f) => f.endsWith('.zip'));
    assert.equal(zips.length, 1);
    const names = execFileSync('unzip', ['-Z1', join(saveDir, zips[0])], { encoding: 'utf8' }).trim().split('\n').sort();
    assert.deepEqual(names, ['CBC-Report-Apr2026.pdf', 'chest xray.jpg']);
    const sizes = execFileSync('unzip', ['-l', join(saveDir, zips[0])], { encoding: 'utf8' });
    assert.ok(sizes.includes('2 files'));
  });

  await step('a receptionist cannot see the X-ray the doctor uploaded', async () => {
    await s.click(await s.find('[data-testid=sign-out]'));
    await signIn('reception@demo.clinic');
    await openPatient('Maria Garcia');
    await until(async () => (await s.exec('return document.querySelector(".tab")?.textContent || ""')).includes('No documents for this patient yet'), 'the empty list');
    assert.deepEqual(await docTitles(), []);
    await shot('05-receptionist.png');
  });

  await step('a folder dropped with good and bad files: each bad one is named with its reason, nothing is sent until they are left out, then the rest arrive together', async () => {
    const dir = join(files, 'front desk');
    mkdirSync(dir);
    execFileSync('convert', ['-size', '1240x1754', 'xc:#f7f5f0', '-fill', '#333', '-draw', 'rectangle 100,100 900,160', '-quality', '80', join(dir, 'page 1.jpg')]);
    execFileSync('convert', ['-size', '1240x1754', 'xc:#f0f5f7', '-fill', '#333', '-draw', 'rectangle 100,300 900,360', '-quality', '80', join(dir, 'page 2.jpg')]);
    writeFileSync(join(dir, 'referral letter.pdf'), pdf(1));
    writeFileSync(join(dir, 'big scan.jpg'), Buffer.alloc(10 * 1024 * 1024 + 1, 0xff));
    writeFileSync(join(dir, 'lab report.pdf'), Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(4000)]));
    writeFileSync(join(work, 'open.pdf'), pdf(1));
    execFileSync('qpdf', ['--encrypt', 'secret', 'secret', '256', '--', join(work, 'open.pdf'), join(dir, 'locked.pdf')]);
    writeFileSync(join(dir, '.DS_Store'), 'junk');
    writeFileSync(join(dir, 'Thumbs.db'), 'junk');
    await openPatient('John Smith');
    await dropOnWindow([dir]);
    assert.equal(await s.text(await s.find('dialog[open] h2')), 'Import 6 files');
    const sheet = await s.text(await s.find('[data-testid=import-sheet]'));
    assert.match(sheet, /2 items left out/);
    const problems = await rowProblems();
    assert.deepEqual(problems, {
      'big scan.jpg': 'file_too_large',
      'lab report.pdf': 'executable_refused',
      'locked.pdf': 'password_protected_pdf',
      'page 1.jpg': '',
      'page 2.jpg': '',
      'referral letter.pdf': '',
    });
    await s.select('[data-testid=import-type-all]', 'insurance');
    assert.equal(await s.exec('return document.querySelector("[data-testid=import-send]").disabled'), true, 'nothing can be sent yet');
    await shot('06a-drop-review.png');
    await s.click(await s.find('[data-testid=import-drop-bad]'));
    await s.select('select[aria-label="Type of referral letter.pdf"]', 'referral');
    await until(async () => /Send 3 files/.test(await s.text(await s.find('[data-testid=import-send]'))), 'Send 3 files');
    await s.click(await s.find('[data-testid=import-send]'));
    await until(async () => (await s.findAll('[data-testid=import-sheet]')).length === 0, 'the sheet to close once queued');
    await until(async () => (await docTitles()).length === 3, 'the three good files on the server', 30000);
    assert.deepEqual((await docTitles()).sort(), ['page 1', 'page 2', 'referral letter']);
    await shot('06b-drop-arrived.png');
  });

  await step('scanner folder: two scans appear once written, one is turned, both go as one PDF, and only then leave the folder', async () => {
    const folder = join(work, 'scanner');
    await s.click(await s.waitFor('[data-testid=choose-scanner-folder]'));
    await until(async () => (await s.text(await s.find('[data-testid=scanned]'))).includes('No new scans'), 'the empty inbox');
    execFileSync('convert', ['-size', '1240x1754', 'xc:white', '-fill', '#223', '-draw', 'rectangle 80,80 1160,200', '-quality', '80', join(folder, 'scan 0001.jpg')]);
    execFileSync('convert', ['-size', '1754x1240', 'xc:white', '-fill', '#322', '-draw', 'rectangle 80,80 400,1160', '-quality', '80', join(folder, 'scan 0002.jpg')]);
    await until(async () => (await s.findAll('[data-testid=scan]')).length === 2, 'both scans in the inbox');
    await s.click(await s.find('button[aria-label="Turn scan 0002.jpg clockwise"]'));
    await s.click(await s.find('input[aria-label="Choose scan 0001.jpg"]'));
    await s.click(await s.find('input[aria-label="Choose scan 0002.jpg"]'));
    await shot('06c-scanned-inbox.png');
    await s.click(await s.find('[data-testid=send-scans]'));
    await s.waitFor('[data-testid=scan-sheet]', 'the send sheet');
    await s.select('[data-testid=scan-type]', 'referral');
    const name = await s.find('[data-testid=scan-title]');
    await s.clear(name);
    await s.type(name, 'Scanned referral');
    await s.click(await s.find('[data-testid=scan-sheet] button[type=submit]'));
    await until(async () => (await s.findAll('[data-testid=scan-sheet]')).length === 0, 'the sheet to close once queued');
    await until(async () => (await docTitles()).includes('Scanned referral'), 'the combined PDF on the server', 30000);
    await until(async () => readdirSync(folder).length === 0, 'the scans gone from the folder once queued');
    const login = await (await fetch(`${server}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'reception@demo.clinic', password: 'demo' }) })).json();
    const page = await (await fetch(`${server}/api/v1/documents?limit=200`, { headers: { authorization: `Bearer ${login.token}` } })).json();
    const doc = page.items.find((d) => d.title === 'Scanned referral');
    assert.equal(doc.content_type, 'application/pdf');
    assert.equal(doc.page_count, 2, 'both pages in one PDF');
    await shot('06d-scanned-sent.png');
  });

  await step('an admin deletes the X-ray after confirming; the gauge goes down', async () => {
    await s.click(await s.find('[data-testid=sign-out]'));
    await signIn('admin@demo.clinic');
    await openPatient('Maria Garcia');
    await until(async () => (await docTitles()).length === 2, 'both documents for the admin');
    const g1 = await gaugeText();
    await s.click(await s.find('button[aria-label="Delete chest xray"]'));
    const dialogText = await s.text(await s.waitFor('dialog[open]'));
    assert.match(dialogText, /cannot be undone/);
    await shot('06-confirm-delete.png');
    await s.click(await s.find('[data-testid=confirm-delete]'));
    await until(async () => JSON.stringify(await docTitles()) === JSON.stringify(['CBC-Report-Apr2026']), 'the X-ray gone');
    await until(async () => (await gaugeText()) !== g1, 'the gauge to go down');
  });

  await step('after a restart the app signs in again from the keyring', async () => {
    await s.end();
    s = await Session.start(driver, APP_BIN);
    await s.waitFor('[data-testid=storage-gauge]', 'the signed-in window without a password');
    const who = await s.text(await s.find('.who'));
    assert.match(who, /Alex Admin/);
    await shot('07-restarted.png');
  });

  await step('offline: files queued while the server is down wait, survive closing the app and starting it offline, and arrive once', async () => {
    await openPatient('Maria Garcia');
    await until(async () => (await docTitles()).length === 1, 'the one document left');
    await serverProc.stop();
    const lab = join(files, 'Lab results May.pdf');
    writeFileSync(lab, pdf(2));
    const card = join(files, 'insurance card.jpg');
    execFileSync('convert', ['-size', '900x560', 'gradient:#eeeeee-#336699', '-quality', '85', card]);
    // Imported by a drop while the server is down: the sheet says they will wait.
    await dropOnWindow([lab, card]);
    await until(async () => (await s.text(await s.find('[data-testid=import-sheet]'))).includes('cannot be reached'), 'the offline note in the sheet');
    await s.select('select[aria-label="Type of Lab results May.pdf"]', 'lab');
    await s.select('select[aria-label="Type of insurance card.jpg"]', 'insurance');
    await s.click(await s.find('[data-testid=import-send]'));
    await until(async () => (await s.findAll('[data-testid=import-sheet]')).length === 0, 'the sheet to close once queued');
    await until(async () => (await s.text(await s.find('[data-testid=queue]'))).includes('cannot be reached'), 'the offline notice');
    const states = await s.exec('return [...document.querySelectorAll("[data-testid=queue-item]")].map((e) => e.dataset.state)');
    assert.ok(states.filter((x) => x === 'waiting' || x === 'sending').length >= 2, `both wait: ${states}`);
    await shot('08-offline-queue.png');
    // The window's close button, as a window manager sends it: the title counts what is unsent,
    // and closing asks first.
    const closeWindow = () =>
      execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'close-window.py'), 'Clinic Documents'], { encoding: 'utf8' }).trim();
    assert.equal(closeWindow(), 'Clinic Documents — 2 uploads waiting');
    await s.waitFor('[data-testid=close-anyway]', 'the close warning');
    assert.equal(await s.text(await s.find('dialog[open] h2')), 'Close with 2 uploads not sent?');
    await shot('08b-close-warning.png');
    await s.click(await s.find('dialog[open] button[autofocus]')); // Keep open
    await until(async () => (await s.findAll('dialog[open]')).length === 0, 'the warning gone, the window still open');
    // Asked again, it asks again. (Once in a cold CI run the second request went unanswered
    // for 20 s; until that is understood the request is repeated, as a user would click
    // again, and each repeat is reported so it stays visible.)
    for (let attempt = 1; ; attempt++) {
      closeWindow();
      try {
        await until(async () => (await s.findAll('[data-testid=close-anyway]')).length > 0, 'the close warning again', 5000);
        break;
      } catch (e) {
        if (attempt === 3) throw e;
        console.error(`e2e: the close request went unanswered for 5 s; asking again (attempt ${attempt + 1})`);
      }
    }
    // Clicked from inside the page: the window goes away under WebDriver's feet.
    await s.exec('setTimeout(() => document.querySelector("[data-testid=close-anyway]").click(), 50); return true;');
    const running = () => {
      try {
        return execFileSync('pgrep', ['-f', APP_BIN], { encoding: 'utf8' }).trim() !== '';
      } catch {
        return false; // pgrep exits 1 when nothing matches
      }
    };
    await until(async () => !running(), 'the app to exit with both uploads unsent', 10000);
    await s.end().catch(() => {});
    // Started again while the server is still down: it opens offline with the kept token.
    s = await Session.start(driver, APP_BIN);
    await until(async () => (await s.exec('return document.body.innerText')).includes('Working offline'), 'the offline window');
    await until(async () => (await s.findAll('[data-testid=queue-item]')).length === 2, 'both uploads still queued');
    // Maria was opened here before the cut: her file opens from what this computer kept.
    await s.click(await s.find('.recent button'));
    await s.waitFor('[data-testid=documents-offline]', 'the offline note on her Documents tab');
    await shot('09-offline-start.png');
    serverProc = await serverProc.restart();
    await s.click(await s.find('.banner.offline button'));
    await until(async () => !(await s.exec('return document.body.innerText')).includes('Working offline'), 'back online');
    await openPatient('Maria Garcia');
    await until(async () => (await docTitles()).length === 3, 'both queued files on the server', 40000);
    const titles = (await docTitles()).sort();
    assert.deepEqual(titles, ['CBC-Report-Apr2026', 'Lab results May', 'insurance card'], 'each exactly once');
    await shot('10-arrived.png');
  });
} catch {
  // reported by step()
} finally {
  await s.end();
}
console.log(`e2e: ${passed} passed, ${failed} failed; screenshots in ${OUT}`);
process.exit(failed ? 1 : 0);
