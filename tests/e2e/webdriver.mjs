// A small W3C WebDriver client (enough for tauri-driver + WebKitWebDriver) and the fixtures
// the end-to-end story needs. No dependencies: Node's fetch speaks the protocol.
import { writeFileSync } from 'node:fs';

export const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
export const KEY = { Enter: '\uE007', Escape: '\uE00C', ArrowRight: '\uE014', ArrowLeft: '\uE012', ArrowDown: '\uE015', PageDown: '\uE00F' };

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async start(base, application, env = {}) {
    const caps = { capabilities: { alwaysMatch: { 'tauri:options': { application, env } } } };
    const v = await request(base, 'POST', '/session', caps);
    return new Session(base, v.sessionId);
  }

  cmd(method, path, body) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  async end() {
    await this.cmd('DELETE', '').catch(() => {});
  }

  async find(css) {
    const v = await this.cmd('POST', '/element', { using: 'css selector', value: css });
    return v[ELEMENT];
  }

  async findAll(css) {
    const v = await this.cmd('POST', '/elements', { using: 'css selector', value: css });
    return v.map((e) => e[ELEMENT]);
  }

  /** Waits until `css` matches, then returns the element. */
  async waitFor(css, what = css, timeoutMs = 20000) {
    return until(async () => (await this.findAll(css))[0], what, timeoutMs);
  }

  click(el) {
    return this.cmd('POST', `/element/${el}/click`, {});
  }

  type(el, text) {
    return this.cmd('POST', `/element/${el}/value`, { text });
  }

  async clear(el) {
    await this.cmd('POST', `/element/${el}/clear`, {});
  }

  text(el) {
    return this.cmd('GET', `/element/${el}/text`);
  }

  exec(script, ...args) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  /** Sets a <select>'s value the way a user's choice does (a `change` event). */
  select(css, value) {
    return this.exec(
      `const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change', { bubbles: true })); return s.value;`,
      css,
      value,
    );
  }

  /** Sends keys to whatever has the focus. */
  async keys(...keys) {
    const actions = keys.flatMap((k) => [{ type: 'keyDown', value: k }, { type: 'keyUp', value: k }]);
    await this.cmd('POST', '/actions', { actions: [{ type: 'key', id: 'kbd', actions }] });
    await this.cmd('DELETE', '/actions').catch(() => {});
  }

  /** Presses the mouse at `from`, moves to `to` in steps, and lets go (viewport CSS pixels). */
  async pointerDrag(from, to, steps = 8) {
    const moves = Array.from({ length: steps }, (_, i) => ({
      type: 'pointerMove',
      origin: 'viewport',
      x: Math.round(from.x + ((to.x - from.x) * (i + 1)) / steps),
      y: Math.round(from.y + ((to.y - from.y) * (i + 1)) / steps),
      duration: 20,
    }));
    const actions = [
      { type: 'pointerMove', origin: 'viewport', x: Math.round(from.x), y: Math.round(from.y), duration: 0 },
      { type: 'pointerDown', button: 0 },
      ...moves,
      { type: 'pointerUp', button: 0 },
    ];
    await this.cmd('POST', '/actions', { actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions }] });
    await this.cmd('DELETE', '/actions').catch(() => {});
  }

  async screenshot(path) {
    const b64 = await this.cmd('GET', '/screenshot');
    writeFileSync(path, Buffer.from(b64, 'base64'));
  }
}

async function request(base, method, path, body) {
  const r = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(j.value ?? j).slice(0, 400)}`);
  return j.value;
}

export async function until(f, what, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (${last.message})` : ''}`);
}

/** A valid PDF with `pages` pages, each saying "Page N" in large type, xref offsets exact. */
export function pdf(pages) {
  const objs = [];
  const kids = [];
  objs[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objs[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
  for (let i = 0; i < pages; i++) {
    const page = 4 + i * 2;
    const content = page + 1;
    kids.push(`${page} 0 R`);
    const stream = `BT /F1 48 Tf 72 700 Td (Page ${i + 1}) Tj ET 0 0 1 rg 72 ${100 + i * 150} 300 120 re f`;
    objs[page] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${content} 0 R >>`;
    objs[content] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  }
  objs[2] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} >>`;
  let out = '%PDF-1.4\n';
  const offsets = [];
  for (let n = 1; n < objs.length; n++) {
    offsets[n] = out.length;
    out += `${n} 0 obj\n${objs[n]}\nendobj\n`;
  }
  const xref = out.length;
  out += `xref\n0 ${objs.length}\n0000000000 65535 f \n`;
  for (let n = 1; n < objs.length; n++) out += `${String(offsets[n]).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
