// The processes a desktop run needs, shared by the end-to-end story and the start-up
// benchmark: a demo clinicdocs-server on a free loopback port, tauri-driver for the app, and
// an SMTP server on loopback for share emails.
// Every child is stopped when the node process exits.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { until } from './webdriver.mjs';

const children = [];
process.on('exit', () => {
  for (const c of children.reverse()) c.kill('SIGTERM');
});

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * `clinicdocs-server serve --demo` on a free loopback port with its data in `dir` (without
 * demo data when `demo` is false). Resolves to `{ url, stop(), restart() }`: `restart` serves
 * the same data on the same port again.
 */
export async function startServer(bin, dir, port = 0, { demo = true, env = {} } = {}) {
  const args = ['serve', ...(demo ? ['--demo'] : []), '--listen', `127.0.0.1:${port}`, '--data-dir', join(dir, 'server')];
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const url = await until(() => out.match(/^listening on (http:\S+)/m)?.[1], 'the server to listen', 30000);
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  return { url, stop, restart: async () => (await stop(), startServer(bin, dir, Number(new URL(url).port), { demo, env })) };
}

/**
 * A real SMTP server on loopback (scripts/lib/smtp_sink.py, Debian's python3-aiosmtpd) that
 * writes each message it accepts to `folder` as NNNN.json; resolves to its `smtp://` URL.
 */
export async function startSmtpSink(folder) {
  const script = new URL('../../scripts/lib/smtp_sink.py', import.meta.url).pathname;
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const child = spawn(python, [script, folder], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const port = await until(() => out.match(/^(\d+)$/m)?.[1], 'the SMTP sink to listen', 20000);
  return `smtp://127.0.0.1:${port}`;
}

/** tauri-driver on free ports, with `env` for the app it will start; resolves to its URL. */
export async function startDriver(bin, env) {
  const port = await freePort();
  const nativePort = await freePort();
  const child = spawn(bin, ['--port', String(port), '--native-port', String(nativePort)], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...env },
  });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  await until(() => fetch(`${base}/status`).then((r) => r.ok), 'tauri-driver', 20000);
  return base;
}
