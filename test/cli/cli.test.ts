/**
 * The CLI as a user runs it: the built bundle (dist/cli.js) in a child process, against the
 * embedded demo server and servers not written here, all on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDemoServer, type DemoServer } from '../../src/demo/server';
import { PYTHON_WEBSOCKETS_MISSING, TINYPROXY_MISSING, findPythonWithWebsockets, findTinyproxy, startPythonWebsocketsEcho, startTinyproxy, type TinyProxy } from '../helpers/thirdParty';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...opts.env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c));
    p.stderr.on('data', (c: Buffer) => (stderr += c));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`realtime-inspector ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 20000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 20_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function ndjson(out: string): Array<Record<string, unknown>> {
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

before(() => {
  if (!existsSync(cli)) {
    const r = spawnSync(process.execPath, [join(root, 'esbuild.js')], { cwd: root, stdio: 'inherit' });
    assert.equal(r.status, 0, 'building the CLI bundle failed');
  }
});

describe('realtime-inspector: help and usage errors', () => {
  it('the bin script (what npx runs) runs the CLI', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'realtime-inspector.js'), '--help'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Usage: realtime-inspector <command>/);
  });

  it('exits quietly when its output is closed early (| head)', async () => {
    const demo = await startDemoServer({ rate: 200 });
    try {
      const p = spawn(process.execPath, [cli, 'connect', demo.urls.ws, '--json'], { cwd: root });
      let stderr = '';
      p.stderr.on('data', (c: Buffer) => (stderr += c));
      await new Promise<void>((resolve) => p.stdout.once('data', () => resolve()));
      p.stdout.destroy();
      const code = await new Promise<number | null>((resolve) => p.on('close', resolve));
      assert.equal(code, 0, stderr);
      assert.ok(!/Error|at /.test(stderr), `no stack trace: ${stderr}`);
    } finally {
      await demo.close();
    }
  });

  it('prints help for the tool and for every command', async () => {
    const top = await run(['--help']);
    assert.equal(top.code, 0);
    for (const cmd of ['start', 'connect', 'demo', 'probe', 'auth-matrix', 'compare', 'import', 'replay']) {
      assert.match(top.stdout, new RegExp(`\\b${cmd}\\b`));
      const r = await run([cmd, '--help']);
      assert.equal(r.code, 0, cmd);
      assert.match(r.stdout, new RegExp(`^Usage: realtime-inspector ${cmd}`), cmd);
    }
  });

  it('exits 2 with one line for an unknown command, a bad flag, a bad URL, a bad auth spec', async () => {
    for (const args of [['nope'], ['connect', 'ws://127.0.0.1:1/', '--bogus'], ['connect', 'not a url'], ['connect', 'ws://127.0.0.1:1/', '--auth', 'magic:x'], ['connect', 'ftp://x/'], ['connect', 'ws://127.0.0.1:1/', '--transport', 'sse']]) {
      const r = await run(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^error: /);
    }
  });

  it('usage errors never echo what may be a credential', async () => {
    const secret = 'usage-secret-0123456789';
    for (const args of [['connect', 'ws://127.0.0.1:1/', '--auth', `query:${secret}`], ['connect', 'ws://127.0.0.1:1/', '--header', `Authorization Bearer ${secret}`], ['connect', 'ws://127.0.0.1:1/', '--auth', secret]]) {
      const r = await run(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.ok(!r.stderr.includes(secret), r.stderr);
    }
  });

  it('--duration bounds a connect that keeps retrying (SSE reconnects by default): exit 1, one line', async () => {
    const srv = http.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const r = await run(['connect', `http://127.0.0.1:${port}/sse`, '--transport', 'sse', '--duration', '1'], { timeoutMs: 15_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: never connected \(ran for 1 s\): Connection refused/);
  });

  it('exits 1 with one clear line when the connection fails', async () => {
    const srv = http.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const r = await run(['connect', `ws://127.0.0.1:${port}/`]);
    assert.equal(r.code, 1);
    const errLines = r.stderr.trim().split('\n');
    assert.equal(errLines.length, 1, r.stderr);
    assert.match(errLines[0], /^error: Connection refused .*nothing is listening/);
  });
});

describe('realtime-inspector connect: the four transports on the demo server', () => {
  let demo: DemoServer;
  before(async () => {
    demo = await startDemoServer({ rate: 20 });
  });
  after(() => demo.close());

  for (const transport of ['ws', 'sse', 'poll', 'long-poll'] as const) {
    it(`${transport}: --json prints NDJSON with type and t, messages with direction, data, size, binary`, async () => {
      const url = transport === 'ws' ? demo.urls.ws : transport === 'sse' ? demo.urls.sse : transport === 'poll' ? demo.urls.poll : demo.urls['long-poll'];
      const r = await run(['connect', url, '--transport', transport, '--json', '--max-messages', '3', '--interval', '50']);
      assert.equal(r.code, 0, r.stderr);
      const events = ndjson(r.stdout);
      assert.equal(events[0].type, 'session');
      assert.equal(events[0].transport, transport);
      for (const e of events) {
        assert.equal(typeof e.type, 'string');
        assert.equal(typeof e.t, 'number');
      }
      const msgs = events.filter((e) => e.type === 'message' && e.direction === 'in');
      assert.ok(msgs.length >= 3, `at least 3 messages, got ${msgs.length}`);
      for (const m of msgs) {
        assert.equal(typeof m.data, 'string');
        assert.equal(typeof m.size, 'number');
        assert.equal(m.binary, false);
        assert.equal(JSON.parse(m.data as string).kind, 'tick');
      }
      assert.ok(events.some((e) => e.type === 'request'), 'the request is logged');
      assert.ok(events.some((e) => e.type === 'timing'), 'timings are logged');
      assert.equal(events.at(-1)?.type, 'state');
      assert.equal(events.at(-1)?.state, 'closed');
    });
  }

  it('--ping-every pings while open and never crashes while closing', async () => {
    const r = await run(['connect', demo.urls.ws, '--json', '--duration', '1.2', '--ping-every', '100'], { timeoutMs: 15_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const events = ndjson(r.stdout);
    assert.ok(events.filter((e) => e.type === 'ping' && e.direction === 'out').length >= 3);
    assert.ok(events.some((e) => e.type === 'pong' && e.direction === 'in'));
  });

  it('ws: --send goes out and its echo comes back; close carries code and reason', async () => {
    const r = await run(['connect', demo.urls.wsEcho, '--json', '--send', 'hello there', '--max-messages', '1']);
    assert.equal(r.code, 0, r.stderr);
    const events = ndjson(r.stdout);
    const out = events.find((e) => e.type === 'message' && e.direction === 'out');
    const echo = events.find((e) => e.type === 'message' && e.direction === 'in');
    assert.equal(out?.data, 'hello there');
    assert.equal(echo?.data, 'hello there');
    const close = events.find((e) => e.type === 'close');
    assert.equal(close?.code, 1000);
    assert.equal(typeof close?.reason, 'string');
  });

  it('binary: --send-hex arrives as base64 with binary true', async () => {
    const r = await run(['connect', demo.urls.wsEcho, '--json', '--send-hex', 'de ad be ef', '--max-messages', '1']);
    assert.equal(r.code, 0, r.stderr);
    const echo = ndjson(r.stdout).find((e) => e.type === 'message' && e.direction === 'in');
    assert.equal(echo?.binary, true);
    assert.equal(echo?.encoding, 'base64');
    assert.equal(echo?.data, '3q2+7w==');
  });

  it('a token in the query string is redacted in the log, and shown only with --show-secrets', async () => {
    const url = demo.authUrl('ws', 'query');
    const hidden = await run(['connect', url, '--auth', `query:access_token=${demo.demoToken}`, '--max-messages', '1', '--json']);
    assert.equal(hidden.code, 0, hidden.stderr);
    assert.ok(!hidden.stdout.includes(demo.demoToken), 'token must not be printed');
    assert.match(hidden.stdout, /"type":"auth","[^\n]*query parameter/);
    const shown = await run(['connect', url, '--auth', `query:access_token=${demo.demoToken}`, '--max-messages', '1', '--json', '--show-secrets']);
    assert.ok(shown.stdout.includes(demo.demoToken));
  });

  it('the token can come from the environment and a rejected token is a clear failure', async () => {
    const ok = await run(['connect', demo.authUrl('sse', 'bearer'), '--transport', 'sse', '--auth', 'bearer:env:RI_TEST_TOKEN', '--max-messages', '1'], { env: { RI_TEST_TOKEN: demo.demoToken } });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(!ok.stdout.includes(demo.demoToken));
    const bad = await run(['connect', demo.authUrl('sse', 'bearer'), '--transport', 'sse', '--auth', 'bearer:wrong-token-0123456789']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: .*401/);
    assert.ok(!bad.stderr.includes('wrong-token-0123456789'), 'the rejected token is not echoed');
  });

  it('first-message auth: {{token}} in the template is filled from --token (env:), and redacted', async () => {
    const r = await run(['connect', demo.authUrl('ws', 'first-message'), '--auth', 'first-message:{"type":"auth","token":"{{token}}"}', '--token', 'env:RI_FM_TOKEN', '--json', '--max-messages', '2'], { env: { RI_FM_TOKEN: demo.demoToken } });
    assert.equal(r.code, 0, r.stderr);
    const events = ndjson(r.stdout);
    assert.ok(events.some((e) => e.type === 'message' && e.direction === 'in' && String(e.data).includes('auth-ok')), 'the server accepted the first message');
    assert.ok(!r.stdout.includes(demo.demoToken));
  });

  it('the readable log has no colour codes when not a terminal, and ends with a summary and hints', async () => {
    const r = await run(['connect', demo.urls.poll, '--transport', 'poll', '--interval', '20', '--duration', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('\u001b['), 'no ANSI escapes');
    assert.match(r.stdout, /Summary \(/);
    assert.match(r.stdout, /polls +\d+:/);
    assert.match(r.stdout, /Trade-off hints|No trade-off hints/);
  });

  it('the probe carries the credential, so a protected SSE endpoint is probed as SSE; the token never shows', async () => {
    for (const [method, auth] of [
      ['bearer', `bearer:${demo.demoToken}`],
      ['query', `query:access_token=${demo.demoToken}`],
    ] as const) {
      const r = await run(['connect', demo.authUrl('sse', method), '--auth', auth, '--max-messages', '1']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /^probe: sse /, method);
      assert.ok(!r.stderr.includes(demo.demoToken) && !r.stdout.includes(demo.demoToken), method);
    }
  });

  it('probes the transport of an http URL', async () => {
    const sse = await run(['probe', demo.urls.sse]);
    assert.match(sse.stdout, /^sse: /);
    const lp = await run(['probe', demo.urls['long-poll']]);
    assert.match(lp.stdout, /^long-poll: /);
    const poll = await run(['probe', demo.urls.poll]);
    assert.match(poll.stdout, /^poll: /);
  });
});

describe('realtime-inspector: recordings, saved connections and variables', () => {
  let demo: DemoServer;
  let dir: string;
  before(async () => {
    demo = await startDemoServer({ rate: 20 });
    dir = mkdtempSync(join(tmpdir(), 'ri-cli-rec-'));
  });
  after(async () => {
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--har and --ndjson write the session, redacted by default, with secrets only when asked', async () => {
    const har = join(dir, 's.har');
    const nd = join(dir, 's.ndjson');
    const url = demo.authUrl('ws', 'query');
    const r = await run(['connect', url, '--auth', `query:access_token=${demo.demoToken}`, '--send', 'hi', '--max-messages', '2', '--json', '--har', har, '--ndjson', nd]);
    assert.equal(r.code, 0, r.stderr);
    const harText = readFileSync(har, 'utf8');
    const ndText = readFileSync(nd, 'utf8');
    assert.ok(!harText.includes(demo.demoToken) && !ndText.includes(demo.demoToken), 'exports are redacted');
    const harJson = JSON.parse(harText) as { log: { version: string; entries: Array<{ _webSocketMessages?: Array<{ type: string; opcode: number }> }> } };
    assert.equal(harJson.log.version, '1.2');
    const frames = harJson.log.entries.flatMap((e) => e._webSocketMessages ?? []);
    assert.ok(frames.some((f) => f.type === 'send' && f.opcode === 1), 'the sent frame is in _webSocketMessages');
    assert.equal(ndText, r.stdout, 'the NDJSON export is exactly what --json printed');

    const withSecrets = join(dir, 'secret.ndjson');
    const r2 = await run(['connect', url, '--auth', `query:access_token=${demo.demoToken}`, '--max-messages', '1', '--json', '--ndjson', withSecrets, '--include-secrets', '--show-secrets']);
    assert.equal(r2.code, 0, r2.stderr);
    assert.ok(readFileSync(withSecrets, 'utf8').includes(demo.demoToken));
  });

  it('import prints a recording like a live session, and --json gives the events back exactly', async () => {
    const nd = join(dir, 'poll.ndjson');
    const live = await run(['connect', demo.urls.poll, '--transport', 'poll', '--interval', '20', '--max-messages', '3', '--json', '--ndjson', nd]);
    assert.equal(live.code, 0, live.stderr);
    const back = await run(['import', nd, '--json']);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.stdout, live.stdout);
    const readable = await run(['import', nd]);
    assert.match(readable.stdout, /^Recording .*poll/);
    assert.match(readable.stdout, /Summary \(/);
  });

  it('import reads a HAR written by Chrome DevTools (hand-written from the format)', async () => {
    const file = join(dir, 'chrome.har');
    const t0 = Date.UTC(2026, 10, 28, 9, 0, 0) / 1000;
    writeFileSync(
      file,
      JSON.stringify({
        log: {
          version: '1.2',
          creator: { name: 'WebInspector', version: '537.36' },
          pages: [],
          entries: [
            {
              startedDateTime: new Date(t0 * 1000).toISOString(),
              time: 12,
              _resourceType: 'websocket',
              request: { method: 'GET', url: 'wss://chat.example.test/socket', httpVersion: 'HTTP/1.1', headers: [{ name: 'Upgrade', value: 'websocket' }], queryString: [], cookies: [], headersSize: -1, bodySize: 0 },
              response: { status: 101, statusText: 'Switching Protocols', httpVersion: 'HTTP/1.1', headers: [{ name: 'Upgrade', value: 'websocket' }], cookies: [], content: { size: 0, mimeType: 'x-unknown' }, redirectURL: '', headersSize: -1, bodySize: 0 },
              cache: {},
              timings: { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait: 12, receive: 0 },
              _webSocketMessages: [
                { type: 'send', time: t0 + 0.1, opcode: 1, data: '{"op":"join"}' },
                { type: 'receive', time: t0 + 0.2, opcode: 1, data: '{"op":"joined"}' },
                { type: 'receive', time: t0 + 0.3, opcode: 2, data: 'AAEC' },
              ],
            },
          ],
        },
      }),
    );
    const r = await run(['import', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const msgs = ndjson(r.stdout).filter((e) => e.type === 'message');
    assert.deepEqual(
      msgs.map((m) => [m.direction, m.binary, m.data]),
      [
        ['out', false, '{"op":"join"}'],
        ['in', false, '{"op":"joined"}'],
        ['in', true, 'AAEC'],
      ],
    );
  });

  it('import of a file that is not a recording is a clear one-line error', async () => {
    const file = join(dir, 'junk.har');
    writeFileSync(file, '{"log": {"entries": "nope"}}');
    const r = await run(['import', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: .*junk\.har is not a recording I can read/);
    const missing = await run(['import', join(dir, 'nothing-here.ndjson')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*ENOENT/);
  });

  it('replay sends the recording\'s outgoing messages to a live endpoint and records the answers', async () => {
    const nd = join(dir, 'ws.ndjson');
    const rec = await run(['connect', demo.urls.wsEcho, '--json', '--send', 'one', '--send', 'two', '--max-messages', '2', '--ndjson', nd]);
    assert.equal(rec.code, 0, rec.stderr);
    const r = await run(['replay', nd, demo.urls.wsEcho, '--json', '--speed', '4', '--linger', '300']);
    assert.equal(r.code, 0, r.stderr);
    const events = ndjson(r.stdout);
    assert.deepEqual(events.filter((e) => e.type === 'message' && e.direction === 'out').map((e) => e.data), ['one', 'two']);
    assert.deepEqual(events.filter((e) => e.type === 'message' && e.direction === 'in').map((e) => e.data), ['one', 'two']);
  });

  it('--saved connects with an environment\'s variables; secret variables come from --var and never show', async () => {
    const file = join(dir, 'realtime-inspector.json');
    const port = new URL(demo.httpUrl).port;
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        connections: [{ name: 'feed', url: 'ws://{{host}}/auth/bearer/ws', transport: 'ws', auth: { method: 'bearer', token: '{{token}}' } }],
        environments: [{ name: 'local', variables: { host: `127.0.0.1:${port}`, token: { secret: true } } }],
      }),
    );
    const r = await run(['connect', '--saved', 'feed', '--file', file, '--env', 'local', '--var', `token=${demo.demoToken}`, '--max-messages', '1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(demo.demoToken));
    assert.ok(ndjson(r.stdout).some((e) => e.type === 'message' && e.direction === 'in'));
    const missing = await run(['connect', '--saved', 'feed', '--file', file, '--env', 'nope']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope/);
  });

  it('--var fills {{placeholders}} in a URL; an undefined one is a usage error naming it', async () => {
    const port = new URL(demo.httpUrl).port;
    const ok = await run(['connect', 'ws://127.0.0.1:{{port}}/echo', '--var', `port=${port}`, '--send', 'x', '--max-messages', '1', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await run(['connect', 'ws://{{host}}/echo']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /\{\{host\}\} is not defined: give --var host=VALUE/);
  });
});

describe('realtime-inspector against servers not written here', () => {
  const python = findPythonWithWebsockets();
  let server: { port: number; stop(): void } | undefined;
  after(() => server?.stop());

  it('connects to a python websockets echo server', { skip: python ? false : PYTHON_WEBSOCKETS_MISSING }, async () => {
    server = await startPythonWebsocketsEcho(python!);
    const r = await run(['connect', `ws://127.0.0.1:${server.port}/`, '--json', '--send', '{"ping":1}', '--max-messages', '1']);
    assert.equal(r.code, 0, r.stderr);
    const echo = ndjson(r.stdout).find((e) => e.type === 'message' && e.direction === 'in');
    assert.equal(echo?.data, '{"ping":1}');
  });

  it('long-polls an engine.io server', async () => {
    const { attach } = await import('engine.io');
    const srv = http.createServer();
    const eio = attach(srv, { pingInterval: 300, pingTimeout: 1000 });
    eio.on('connection', (socket: { send(data: string): void }) => {
      setTimeout(() => socket.send('hello from engine.io'), 50);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      // The handshake answer carries the sid that every following poll must name.
      const hs = await new Promise<string>((resolve, reject) => {
        http.get(`http://127.0.0.1:${port}/engine.io/?EIO=4&transport=polling`, (res) => {
          let b = '';
          res.on('data', (c: Buffer) => (b += c));
          res.on('end', () => resolve(b));
        }).on('error', reject);
      });
      const sid = (JSON.parse(hs.slice(1)) as { sid: string }).sid;
      const r = await run(['connect', `http://127.0.0.1:${port}/engine.io/?EIO=4&transport=polling&sid=${sid}`, '--transport', 'long-poll', '--json', '--max-messages', '1']);
      assert.equal(r.code, 0, r.stderr);
      const events = ndjson(r.stdout);
      const msg = events.find((e) => e.type === 'message' && e.direction === 'in');
      assert.match(String(msg?.data), /hello from engine\.io/);
      assert.ok(events.some((e) => e.type === 'poll'), 'each answer is a poll verdict');
    } finally {
      eio.close();
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});

describe('realtime-inspector through an HTTP proxy', () => {
  const tinyproxy = findTinyproxy();
  let demo: DemoServer;
  let proxy: TinyProxy | undefined;
  before(async () => {
    demo = await startDemoServer({ rate: 20 });
  });
  after(async () => {
    proxy?.stop();
    await demo.close();
  });

  it('honours HTTP_PROXY for WebSocket and SSE, and NO_PROXY bypasses it', { skip: tinyproxy ? false : TINYPROXY_MISSING }, async () => {
    proxy = await startTinyproxy(tinyproxy!, [`ConnectPort ${new URL(demo.httpUrl).port}`]);
    const env = { HTTP_PROXY: proxy.url, http_proxy: proxy.url, NO_PROXY: '', no_proxy: '' };
    for (const [url, transport] of [
      [demo.urls.ws, 'ws'],
      [demo.urls.sse, 'sse'],
    ] as const) {
      const r = await run(['connect', url, '--transport', transport, '--json', '--max-messages', '1'], { env });
      assert.equal(r.code, 0, r.stderr);
      const events = ndjson(r.stdout);
      assert.ok(
        events.some((e) => e.type === 'info' && /proxy/i.test(String(e.message))),
        `${transport}: the log says a proxy carried the connection`,
      );
      assert.ok(events.some((e) => e.type === 'timing' && typeof e.proxy === 'number'), `${transport}: the CONNECT time is measured`);
    }
    await proxy.saw('CONNECT');
    const direct = await run(['connect', demo.urls.ws, '--json', '--max-messages', '1'], { env: { ...env, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' } });
    assert.equal(direct.code, 0, direct.stderr);
    assert.ok(!ndjson(direct.stdout).some((e) => e.type === 'timing' && typeof e.proxy === 'number'), 'NO_PROXY: no tunnel');
  });

  it('a proxy that is down is one clear line, and its password never shows', async () => {
    const srv = http.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const r = await run(['connect', demo.urls.ws, '--proxy', `http://user:pr0xy-passw0rd@127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /proxy/i);
    assert.ok(!r.stderr.includes('pr0xy-passw0rd') && !r.stdout.includes('pr0xy-passw0rd'));
  });
});

describe('realtime-inspector start (what npm run tour runs)', () => {
  it('tours all four transports on the demo server and compares them', async () => {
    const r = await run(['start', '--seconds', '1'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    for (const t of ['poll', 'long-poll', 'sse', 'ws']) assert.match(r.stdout, new RegExp(`━━ ${t}: `), t);
    assert.match(r.stdout, /Comparison/);
    assert.ok(!r.stdout.includes('demo-token-'), 'the demo token is redacted in the tour');
  });
});
