// The processes a desktop run needs, shared by the end-to-end story and the start-up
// benchmark: a demo clinicdocs-server on a free loopback port and tauri-driver for the app.
// Every child is stopped when the node process exits.
import { spawn } from 'node:child_process';
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
export async function startServer(bin, dir, port = 0, { demo = true } = {}) {
  const args = ['serve', ...(demo ? ['--demo'] : []), '--listen', `127.0.0.1:${port}`, '--data-dir', join(dir, 'server')];
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
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
  return { url, stop, restart: async () => (await stop(), startServer(bin, dir, Number(new URL(url).port), { demo })) };
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
