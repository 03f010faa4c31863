// Screen tests harness: serves the built UI (ui/dist) on loopback, opens it in Chromium through
// playwright-core with the Tauri IPC replaced by fake-tauri.js, serves `clinicdocs://` pictures
// as generated PNGs, and runs axe-core on whatever is on screen.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { extname, join, normalize, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', '..', 'dist');
const fake = join(here, 'fake-tauri.js');
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };

export function chromiumPath() {
  const p = process.env.CLINICDOCS_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(p)) throw new Error(`Chromium not found at ${p}; the test command installs the Debian package chromium`);
  return p;
}

/** Serves ui/dist on 127.0.0.1 at a free port. */
export async function serveDist() {
  if (!existsSync(join(dist, 'index.html'))) throw new Error('ui/dist is missing: run `npx vite build` in ui/ first');
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^([/\\])+/, '');
    const file = join(dist, path === '' ? 'index.html' : path);
    if (!file.startsWith(dist)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

/** A solid-colour PNG, small enough to build by hand. */
export function png(width, height, [r, g, b]) {
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x += 1) row.set([r, g, b], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(buf) {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k += 1) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** Chromium; `args` are added to its command line (the benchmark unlocks the frame rate). */
export async function launch(args = []) {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', ...args] });
}

/**
 * A fresh page on the app with the fake backend shaped by `scenario`. Pictures requested from
 * `clinicdocs://` are recorded in `media` and answered with PNGs (a `failMedia` predicate can
 * make some of them fail).
 */
export async function openApp(browser, base, scenario = {}, { failMedia = () => false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB', timezoneId: 'Europe/London' });
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  const media = [];
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route('http://clinicdocs.localhost/**', (route) => {
    const url = route.request().url();
    media.push(url.replace('http://clinicdocs.localhost/', ''));
    if (failMedia(url)) return route.fulfill({ status: 502, body: 'bad gateway' });
    const wide = url.includes('/page/');
    // A DICOM frame stands in as grey, brighter as the window's centre goes down (as on a CT).
    const dicom = /\/dicom\/[^/]+\/\d+(\?c=(-?[\d.]+)&w=([\d.]+))?$/.exec(url);
    if (dicom) {
      const c = dicom[2] === undefined ? 40 : Number(dicom[2]);
      const grey = Math.max(0, Math.min(255, Math.round(128 - (c - 40) / 4)));
      return route.fulfill({ status: 200, contentType: 'image/png', headers: { 'access-control-allow-origin': '*' }, body: png(256, 256, [grey, grey, grey]) });
    }
    return route.fulfill({ status: 200, contentType: 'image/png', body: png(wide ? 600 : 320, wide ? 800 : 240, [200, 210, 220]) });
  });
  await page.addInitScript((s) => {
    window.__scenario = s;
  }, scenario);
  await page.addInitScript({ path: fake });
  await page.goto(base);
  return { page, context, media, errors, close: () => context.close() };
}

/** axe-core on the current screen; returns the serious and critical violations, described. */
export async function seriousViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The calls the UI made to one command, with their arguments. */
export async function callsTo(page, cmd) {
  return (await page.evaluate(() => window.__calls)).filter((c) => c.cmd === cmd).map((c) => c.args);
}
