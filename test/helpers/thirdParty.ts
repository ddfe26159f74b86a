/**
 * Servers not written here, for tests that must prove the inspector works beyond our own
 * demo server. Each starts on 127.0.0.1 port 0 and is stopped by the returned `stop()`.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** python3 that can import Debian's python3-websockets (the pyenv python3 on PATH may not). */
export function findPythonWithWebsockets(): string | undefined {
  for (const exe of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(exe, ['-c', 'import websockets'], { stdio: 'ignore' });
    if (r.status === 0) return exe;
  }
  return undefined;
}

export const PYTHON_WEBSOCKETS_MISSING = 'python3 with the websockets module is not installed (CI: apt-get install -y python3-websockets)';

const PY_ECHO = `
import asyncio, websockets
async def echo(ws, *args):
    async for m in ws:
        await ws.send(m)
async def main():
    async with websockets.serve(echo, "127.0.0.1", 0) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
`;

/** Runs a Python server script that prints its port on its first line; `stop()` kills it and removes the script. */
export async function startPythonServer(python: string, source: string, args: string[] = []): Promise<{ port: number; stop(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'ri-py-'));
  const file = join(dir, 'server.py');
  writeFileSync(file, source);
  const p = spawn(python, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = () => {
    p.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  let stderr = '';
  p.stderr!.on('data', (c: Buffer) => (stderr += c));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      p.stdout!.on('data', (c: Buffer) => {
        out += c;
        const m = /^(\d+)\n/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      p.once('exit', (code) => reject(new Error(`python server exited (${code}): ${stderr}`)));
    });
    return { port, stop };
  } catch (err) {
    stop();
    throw err;
  }
}

/** Python `websockets` echo server. */
export function startPythonWebsocketsEcho(python: string): Promise<{ port: number; stop(): void }> {
  return startPythonServer(python, PY_ECHO);
}

/** Debian's tinyproxy, a real HTTP proxy (CONNECT included). */
export function findTinyproxy(): string | undefined {
  for (const exe of ['tinyproxy', '/usr/bin/tinyproxy', '/usr/sbin/tinyproxy']) {
    const r = spawnSync('sh', ['-c', `command -v ${exe}`], { encoding: 'utf8' });
    if (r.status === 0) return r.stdout.trim();
  }
  return undefined;
}

export const TINYPROXY_MISSING = 'tinyproxy is not installed (CI: apt-get install -y tinyproxy)';

export interface TinyProxy {
  url: string;
  port: number;
  /** Everything tinyproxy logged (LogLevel Connect logs each CONNECT). */
  output(): string;
  /** Resolves once tinyproxy logged a line holding all of `parts` (its log arrives through a pipe, a little later). */
  saw(...parts: string[]): Promise<void>;
  stop(): void;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Starts tinyproxy in the foreground on a free loopback port with `extra` config lines. */
export async function startTinyproxy(exe: string, extra: string[] = []): Promise<TinyProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'ri-tinyproxy-'));
  const port = await freePort();
  const conf = join(dir, 'tinyproxy.conf');
  writeFileSync(conf, [`Port ${port}`, 'Listen 127.0.0.1', 'Timeout 30', 'Allow 127.0.0.1', 'LogLevel Connect', 'MaxClients 64', ...extra, ''].join('\n'));
  const proc = spawn(exe, ['-d', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = () => {
    proc.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c));
  proc.stderr!.on('data', (c: Buffer) => (out += c));
  const deadline = Date.now() + 8000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port }, () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (up) break;
    if (proc.exitCode !== null || Date.now() > deadline) {
      stop();
      throw new Error(`tinyproxy did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const saw = async (...parts: string[]): Promise<void> => {
    const until = Date.now() + 5000;
    while (!out.split('\n').some((line) => parts.every((p) => line.includes(p)))) {
      if (Date.now() > until) throw new Error(`tinyproxy never logged ${parts.join(' … ')}: ${out.slice(-800)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { url: `http://127.0.0.1:${port}`, port, output: () => out, saw, stop };
}
