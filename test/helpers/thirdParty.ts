/**
 * Servers not written here, for tests that must prove the inspector works beyond our own
 * demo server. Each starts on 127.0.0.1 port 0 and is stopped by the returned `stop()`.
 */
import { spawn, spawnSync } from 'node:child_process';
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

/** Python `websockets` echo server. */
export async function startPythonWebsocketsEcho(python: string): Promise<{ port: number; stop(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'ri-ws-py-'));
  const file = join(dir, 'echo.py');
  writeFileSync(file, PY_ECHO);
  const p = spawn(python, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
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
