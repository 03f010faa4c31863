// The sharing portal in real Chromium (playwright-core, the Debian build), as a recipient meets
// it: a real clinicdocs-server on loopback with a real SMTP server (the link is read from the
// delivered email) and the SMS file sink (the code is read from the texted message). Checked:
// the picture shows, the PDF's pages are drawn by the server and it opens, every download is byte for byte the stored file, printing
// shows only the documents, axe finds nothing serious, a phone-sized screen needs no sideways
// scrolling, and the SMS step — including coming back from the email once the code was passed.
// Screenshots go to tests/portal/out/. Needs CLINICDOCS_SERVER_BIN (scripts/test.sh sets it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, startSmtpSink } from '../e2e/processes.mjs';
import { until } from '../e2e/webdriver.mjs';
import { png, chromiumPath } from '../../ui/tests/screens/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const fromUi = createRequire(join(here, '..', '..', 'ui', 'package.json'));
const { chromium } = fromUi('playwright-core');
const axeSource = readFileSync(fromUi.resolve('axe-core/axe.min.js'), 'utf8');
const out = process.env.PORTAL_OUT ?? join(here, 'out');
mkdirSync(out, { recursive: true });

/** A small, well-formed PDF of `pages` pages, each saying which page it is. */
function pdf(pages) {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', null];
  const kids = [];
  for (let i = 1; i <= pages; i += 1) {
    const text = `BT /F1 36 Tf 72 700 Td (Referral letter, page ${i} of ${pages}) Tj ET`;
    const page = objects.length + 1;
    kids.push(`${page} 0 R`);
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${page + 1} 0 R /Resources << /Font << /F1 FONT 0 R >> >> >>`);
    objects.push(`<< /Length ${text.length} >>\nstream\n${text}\nendstream`);
  }
  const font = objects.length + 1;
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  objects[1] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} >>`;
  let body = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o.replaceAll('FONT', String(font))}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) body += `${String(off).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

const work = mkdtempSync(join(tmpdir(), 'clinicdocs-portal-'));
const mailDir = join(work, 'mail');
const smsDir = join(work, 'sms');
const xray = png(900, 600, [90, 90, 90]);
const letter = pdf(3);
let server, browser, link, emailPage;
const docs = {};

async function api(path, { token, method = 'GET', json, form } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (json) headers['content-type'] = 'application/json';
  const r = await fetch(new URL(path, server.url), { method, headers, body: json ? JSON.stringify(json) : form });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function signIn(email) {
  const r = await api('/api/v1/auth/login', { method: 'POST', json: { email, password: 'demo' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.token;
}

async function upload(token, patient, bytes, name, type, category, title) {
  const form = new FormData();
  form.set('patient_id', patient);
  form.set('category', category);
  form.set('title', title);
  form.set('file', new Blob([bytes], { type }), name);
  const r = await api('/api/v1/documents', { token, method: 'POST', form });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.document;
}

const mails = () => readdirSync(mailDir).filter((f) => f.endsWith('.json')).sort();
const texts = () => readdirSync(smsDir).filter((f) => f.endsWith('.json')).sort();

/** axe-core on the page: the violations that are serious or critical. */
async function serious(page) {
  // The portal's CSP allows no script, so axe runs in an isolated copy of the page's HTML.
  const html = await page.content();
  const copy = await browser.newPage();
  await copy.setContent(html.replace(/<meta http-equiv="refresh"[^>]*>/, ''));
  await copy.addScriptTag({ content: axeSource });
  const found = await copy.evaluate(async () => (await globalThis.axe.run(document)).violations);
  await copy.close();
  return found.filter((v) => ['serious', 'critical'].includes(v.impact)).map((v) => `${v.id}: ${v.help}`);
}

before(async () => {
  const bin = process.env.CLINICDOCS_SERVER_BIN;
  assert.ok(bin, 'set CLINICDOCS_SERVER_BIN to the clinicdocs-server binary');
  mkdirSync(mailDir);
  const smtp = await startSmtpSink(mailDir);
  server = await startServer(bin, work, 0, {
    env: { CLINICDOCS_SMTP_URL: smtp, CLINICDOCS_MAIL_FROM: 'documents@demo.clinic', CLINICDOCS_SMS_FILE: smsDir, RUST_LOG: 'warn' },
  });
  const doctor = await signIn('doctor@demo.clinic');
  const patients = await api('/api/v1/patients', { token: doctor });
  const patient = (patients.body.items ?? patients.body)[0].id;
  docs.xray = await upload(doctor, patient, xray, 'knee.png', 'image/png', 'imaging', 'Knee X-ray');
  docs.letter = await upload(doctor, patient, letter, 'referral.pdf', 'application/pdf', 'referral', 'Referral letter');
  const lee = await api('/api/v1/contacts', {
    token: doctor,
    method: 'POST',
    json: { name: 'Dr. Lee', organisation: 'Riverside Orthopaedics', email: 'lee@ortho.example', phone: '+44 7700 900123' },
  });
  assert.equal(lee.status, 201);
  const share = await api('/api/v1/shares', {
    token: doctor,
    method: 'POST',
    json: { document_ids: [docs.xray.id, docs.letter.id], contact_id: lee.body.id },
  });
  assert.equal(share.status, 201, JSON.stringify(share.body));
  const mail = JSON.parse(readFileSync(join(mailDir, await until(() => mails()[0], 'the share email')), 'utf8'));
  link = mail.text.match(/https?:\/\/\S+\/share\/[A-Za-z0-9_-]{43}/)?.[0];
  assert.ok(link, mail.text);
  // "The email": a page on another site (localhost, not 127.0.0.1) linking to the portal, as a
  // webmail would.
  const mailbox = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(
    `<!doctype html><title>Inbox</title><p><a id="open" href="${link}">View the documents</a></p>`));
  await new Promise((ok) => mailbox.listen(0, '127.0.0.1', ok));
  emailPage = `http://localhost:${mailbox.address().port}/`;
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  setTimeout(() => process.exit(0), 100).unref();
});

test('the share page shows the picture, opens the PDF and downloads each file as stored', async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const blocked = [];
  page.on('console', (m) => /Content Security Policy|Refused to/.test(m.text()) && blocked.push(m.text()));
  const r = await page.goto(link);
  assert.equal(r.status(), 200);
  assert.equal(await page.title(), 'Documents from Demo Family Clinic');
  assert.match(await page.textContent('header'), /Dr\. Dana Doctor shared 2 documents with you/);
  const img = page.locator('figure:not(.page) img');
  await until(async () => (await img.evaluate((i) => i.complete && i.naturalWidth)) > 0, 'the picture to load');
  assert.deepEqual(await img.evaluate((i) => [i.naturalWidth, i.naturalHeight]), [900, 600]);
  assert.deepEqual(blocked, [], 'the page loads nothing its CSP refuses');
  await page.screenshot({ path: join(out, 'portal-share.png'), fullPage: true });

  const save = async (locator) => {
    const [download] = await Promise.all([page.waitForEvent('download'), locator.click()]);
    return readFileSync(await download.path());
  };
  const [first, second] = [page.locator('article').nth(0), page.locator('article').nth(1)];
  assert.deepEqual(await save(first.getByRole('link', { name: 'Download the original' })), xray);
  assert.deepEqual(await save(second.getByRole('link', { name: 'Download the original' })), letter);
  const asPdf = await save(first.getByRole('link', { name: 'Download as PDF' }));
  assert.equal(asPdf.subarray(0, 5).toString(), '%PDF-');
  // The PDF's pages are drawn by the server, each a picture named for its page, in order.
  const pages = second.locator('figure.page img');
  assert.deepEqual(await pages.evaluateAll((is) => is.map((i) => i.alt)), [1, 2, 3].map((n) => `Referral letter, page ${n} of 3`));
  await until(async () => (await pages.evaluateAll((is) => is.every((i) => i.complete && i.naturalWidth > 0))), 'the pages to load');
  const drawn = await pages.evaluateAll((is) => is.map((i) => [i.naturalWidth, i.naturalHeight]));
  assert.deepEqual(drawn, Array(3).fill([1240, Math.round((1240 * 792) / 612)]), 'US Letter pages at 1240 px wide');
  // Each page's heading is drawn in the band at its top.
  const ink = await pages.evaluateAll((is) =>
    is.map((i) => {
      const c = document.createElement('canvas');
      [c.width, c.height] = [i.naturalWidth, i.naturalHeight];
      const g = c.getContext('2d');
      g.drawImage(i, 0, 0);
      const band = g.getImageData(0, 0, c.width, Math.round(c.height * 0.2)).data;
      let dark = 0;
      for (let k = 0; k < band.length; k += 4) if (band[k] < 128) dark += 1;
      return dark;
    }),
  );
  assert.ok(ink.every((d) => d > 500), `each page has its heading drawn: ${ink}`);
  // The PDF still opens in the browser's own viewer, inline, as stored.
  const opened = await context.request.get(
    await second.getByRole('link', { name: "Open in the browser's PDF viewer" }).evaluate((a) => a.href),
  );
  assert.equal(opened.headers()['content-type'], 'application/pdf');
  assert.match(opened.headers()['content-disposition'], /^inline/);
  assert.deepEqual(Buffer.from(await opened.body()), letter);
  assert.deepEqual(await serious(page), []);
  await context.close();
});

test('printing shows the documents and none of the page around them', async () => {
  const page = await browser.newPage();
  await page.goto(link);
  await page.emulateMedia({ media: 'print' });
  const shown = await page.evaluate(() =>
    [...document.querySelectorAll('nav, footer, .actions, article, figure img')].map(
      (e) => `${e.tagName.toLowerCase()}${e.className ? '.' + e.className.split(' ')[0] : ''}:${getComputedStyle(e).display !== 'none'}`,
    ),
  );
  assert.ok(shown.length >= 6, shown.join(' '));
  for (const s of shown) {
    const [what, visible] = s.split(':');
    const chrome = /^(nav|footer|p\.actions)/.test(what);
    assert.equal(visible, chrome ? 'false' : 'true', s);
  }
  const printed = await page.pdf({ format: 'A4' });
  const pages = (printed.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
  assert.ok(pages >= 2, `each document prints on its own page: ${pages}`);
  await page.close();
});

test('on a phone the page fits the screen and its buttons are easy to tap', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(link);
  await page.locator('figure img').evaluateAll((is) => Promise.all(is.map((i) => i.decode())));
  const fit = await page.evaluate(() => ({
    scroll: document.scrollingElement.scrollWidth,
    width: window.innerWidth,
    img: Math.max(...[...document.querySelectorAll('figure img')].map((i) => i.getBoundingClientRect().width)),
    buttons: [...document.querySelectorAll('.button')].map((b) => b.getBoundingClientRect().height),
  }));
  assert.ok(fit.scroll <= fit.width, `no sideways scrolling: ${fit.scroll} > ${fit.width}`);
  assert.ok(fit.img <= fit.width, `the picture and the pages fit: ${fit.img}`);
  assert.ok(fit.buttons.every((h) => h >= 40), `buttons are at least 40 px high: ${fit.buttons}`);
  await page.screenshot({ path: join(out, 'portal-phone.png'), fullPage: true });
  assert.deepEqual(await serious(page), []);
  await context.close();
});

test('with SMS codes on, the code texted to the recipient opens the documents, and the email link then opens them too', async () => {
  const admin = await signIn('admin@demo.clinic');
  const set = await api('/api/v1/sharing/settings', { token: admin, method: 'PUT', json: { security: 'sms' } });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  try {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const page = await context.newPage();
    // From the email: the code page, naming where the code goes and showing nothing shared.
    await page.goto(emailPage);
    await Promise.all([page.waitForURL(link), page.click('#open')]);
    await page.getByRole('button', { name: 'Text me a code' }).waitFor();
    assert.match(await page.textContent('main'), /••• 23/);
    assert.equal(await page.locator('article').count(), 0);
    assert.deepEqual(await serious(page), []);
    await page.getByRole('button', { name: 'Text me a code' }).click();
    const input = page.getByLabel('Code from the text message');
    await input.waitFor();
    await page.screenshot({ path: join(out, 'portal-code.png'), fullPage: true });
    const sms = JSON.parse(readFileSync(join(smsDir, await until(() => texts()[0], 'the text message')), 'utf8'));
    assert.equal(sms.to, '+447700900123');
    const code = sms.text.match(/^\d{6}/)[0];
    // A wrong code first: said so, with the tries left.
    await input.fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Show the documents' }).click();
    assert.match(await page.getByRole('alert').textContent(), /not right\. 4 tries left/);
    assert.deepEqual(await serious(page), []);
    await page.getByLabel('Code from the text message').fill(code);
    await page.getByRole('button', { name: 'Show the documents' }).click();
    await page.locator('article').first().waitFor();
    assert.equal(await page.locator('article').count(), 2);
    // Back to the email and its link again: the browser keeps its pass (the page reloads once
    // from the portal's own site, where the SameSite=Strict cookie is sent).
    await page.goto(emailPage);
    await Promise.all([page.waitForURL(link), page.click('#open')]);
    await page.locator('article').first().waitFor({ timeout: 10000 });
    assert.equal(texts().length, 1, 'no second code was needed');
    const cookies = await context.cookies(link);
    assert.equal(cookies.length, 1);
    assert.equal(cookies[0].httpOnly, true);
    assert.equal(cookies[0].sameSite, 'Strict');
    // Another browser must pass a code of its own.
    const other = await browser.newPage();
    await other.goto(link);
    await other.getByRole('button', { name: 'Text me a code' }).waitFor();
    await other.close();
    await context.close();
  } finally {
    await api('/api/v1/sharing/settings', { token: admin, method: 'PUT', json: { security: 'link' } });
  }
});
