/**
 * `npm run bench`: forks a server process and a client process per scenario (servers never
 * share a process with the client), collects the results, prints a table of medians with
 * min–max and the ratio against the baseline measured in the same run, and writes
 * bench/results/<timestamp>.json and bench/results/latest.json.
 *
 *   node bench/run.js [--quick] [--runs=N] [--only=ws-recv,sse,...]
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { fmtNum, median, type ScenarioResult, type Series } from './lib';

const ROOT = path.join(__dirname, '..');
const TSX = ['--import', 'tsx'];
const CLIENT_BUNDLE = path.join(__dirname, '.build', 'client.js');

/**
 * The client runs as one esbuild bundle, like dist/extension-lazy.js and dist/cli.js: under
 * tsx every call across modules goes through an export getter, a cost the shipped code does
 * not have (it showed as ~2% of the WebSocket receive profile).
 */
function buildClient(): void {
  buildSync({
    entryPoints: [path.join(__dirname, 'client.ts')],
    outfile: CLIENT_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['playwright-core', 'bufferutil', 'utf-8-validate'],
    logLevel: 'warning',
  });
}

interface Job {
  scenario: string;
  /** Name for --only (default: the scenario). */
  name?: string;
  /** Runs only when named in --only. */
  optIn?: boolean;
  /** Which server process the scenario talks to. */
  server: 'bench' | 'demo' | 'none';
  serverArgs?: string[];
  serverEnv?: Record<string, string>;
  params?: Record<string, unknown>;
  /** Extra node flags for the client. */
  clientFlags?: string[];
  timeoutMs: number;
}

function parseArgs(argv: string[]): { quick: boolean; runs: number; only?: string[]; sizes?: string } {
  const out: { quick: boolean; runs: number; only?: string[]; sizes?: string } = { quick: false, runs: 5 };
  for (const a of argv) {
    if (a === '--quick') out.quick = true;
    else if (a.startsWith('--runs=')) out.runs = Math.max(1, Number(a.slice(7)) || 5);
    else if (a.startsWith('--only=')) out.only = a.slice(7).split(',').filter(Boolean);
    else if (a.startsWith('--sizes=')) out.sizes = a.slice(8);
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/run.js [--quick] [--runs=N] [--only=ws-recv,ws-recv-semi64,ws-rtt,sse,polling,memory,overhead,load,webview,bundles] [--sizes=100,4096,1048576]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  if (out.quick && !argv.some((a) => a.startsWith('--runs='))) out.runs = 3;
  return out;
}

function startServer(job: Job): Promise<{ child: ChildProcess; port: number; info: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const args = job.server === 'demo' ? ['demo', ...(job.serverArgs ?? [])] : (job.serverArgs ?? []);
    const child = fork(path.join(__dirname, 'server.ts'), args, { cwd: ROOT, execArgv: TSX, env: { ...process.env, ...job.serverEnv }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const timer = setTimeout(() => reject(new Error('the bench server did not start within 20 s')), 20_000);
    child.once('message', (m: { ready?: boolean; port?: number }) => {
      clearTimeout(timer);
      if (m.ready && m.port) resolve({ child, port: m.port, info: m as Record<string, unknown> });
      else reject(new Error(`bad message from the bench server: ${JSON.stringify(m)}`));
    });
    child.once('exit', (code) => reject(new Error(`the bench server exited (${code}) before it was ready`)));
  });
}

function runClient(job: Job, params: Record<string, unknown>): Promise<ScenarioResult[]> {
  return new Promise((resolve, reject) => {
    const child = fork(CLIENT_BUNDLE, [job.scenario, JSON.stringify(params)], {
      cwd: ROOT,
      execArgv: ['--expose-gc', ...(job.clientFlags ?? [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let got: ScenarioResult[] | undefined;
    let error: string | undefined;
    const timer = setTimeout(() => {
      error = `scenario ${job.scenario} did not finish within ${job.timeoutMs / 1000} s`;
      child.kill('SIGKILL');
    }, job.timeoutMs);
    child.on('message', (m: { results?: ScenarioResult[]; error?: string }) => {
      if (m.results) got = m.results;
      if (m.error) error = m.error;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (got) resolve(got);
      else reject(new Error(error ?? `scenario ${job.scenario} exited with code ${code} without a result`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.disconnect();
  });
}

/** Table of one scenario: medians, min–max, ratio vs baseline (of medians, and the range over run pairs). */
export function formatScenario(r: ScenarioResult): string {
  const lines: string[] = [`\n■ ${r.title}`];
  const byKey = new Map(r.series.map((s) => [`${s.variant}|${s.metric}`, s]));
  const rows: string[][] = [['variant', 'metric', 'median', 'min–max', 'vs baseline']];
  for (const s of r.series) {
    const base = s.baseline ? byKey.get(`${s.baseline}|${s.metric}`) : undefined;
    rows.push([s.variant, s.metric, `${fmtNum(median(s.values))} ${s.unit}`, s.values.length > 1 ? `${fmtNum(Math.min(...s.values))}–${fmtNum(Math.max(...s.values))}` : '', base ? ratioText(s, base) : '']);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) lines.push('  ' + row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  for (const c of r.checks) lines.push(`  ${c.met === null ? '·' : c.met ? '✓' : '✗'} aim: ${c.aim} — ${c.measured}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

function ratioText(s: Series, base: Series): string {
  const m = median(s.values) / median(base.values);
  if (!Number.isFinite(m)) return '';
  // Per-pair ratios (run i of each variant ran back to back).
  const n = Math.min(s.values.length, base.values.length);
  const pairs = Array.from({ length: n }, (_, i) => s.values[i] / base.values[i]).filter(Number.isFinite);
  const range = pairs.length > 1 ? ` (pairs ${Math.min(...pairs).toFixed(2)}–${Math.max(...pairs).toFixed(2)})` : '';
  return `${m.toFixed(2)}× ${base.variant}${range}`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const q = args.quick;
  const all: Job[] = [
    { scenario: 'ws-recv', server: 'bench', params: { only: args.sizes }, timeoutMs: 300_000 },
    // Diagnostic (opt-in): the 100 B receive with a V8 young generation big enough to hold the ring's recent events, to see how much of the recording cost is scavenging.
    { scenario: 'ws-recv', name: 'ws-recv-semi64', optIn: true, server: 'bench', params: { only: '100', diagnostic: '--max-semi-space-size=64' }, clientFlags: ['--max-semi-space-size=64'], timeoutMs: 300_000 },
    { scenario: 'ws-rtt', server: 'bench', timeoutMs: 180_000 },
    { scenario: 'sse', server: 'bench', timeoutMs: 240_000 },
    { scenario: 'polling', server: 'bench', timeoutMs: 240_000 },
    { scenario: 'memory', server: 'bench', timeoutMs: 240_000 },
    { scenario: 'overhead', server: 'bench', serverEnv: { BENCH_TAP: '1' }, timeoutMs: 120_000 },
    { scenario: 'load', server: 'demo', serverArgs: ['20000', '100'], timeoutMs: 120_000 },
    { scenario: 'webview', server: 'bench', timeoutMs: 240_000 },
  ];
  const jobs = all.filter((j) => (args.only ? args.only.includes(j.name ?? j.scenario) : !j.optIn));
  buildClient();

  const started = new Date();
  const t0 = Date.now();
  console.log(`Realtime Inspector benchmark — ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, ${args.runs} runs per variant${q ? ' (quick)' : ''}`);
  console.log('Servers run in their own process on 127.0.0.1; every ratio is against a baseline measured in the same run, alternating.');
  const results: ScenarioResult[] = [];
  const failures: Array<{ scenario: string; error: string }> = [];
  for (const job of jobs) {
    const tj = Date.now();
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      if (job.server !== 'none') server = await startServer(job);
      const rs = await runClient(job, { port: server?.port ?? 0, runs: args.runs, quick: q, ...job.params, ...(server ? { server: server.info } : {}) });
      for (const r of rs) {
        results.push(r);
        console.log(formatScenario(r));
      }
      console.log(`  (${((Date.now() - tj) / 1000).toFixed(1)} s)`);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      failures.push({ scenario: job.scenario, error });
      console.log(`\n✗ scenario ${job.scenario} failed: ${error}`);
    } finally {
      if (server) await stopChild(server.child);
    }
  }
  if (!args.only || args.only.includes('bundles')) {
    const r = bundleSizes();
    results.push(r);
    console.log(formatScenario(r));
  }

  const checks = results.flatMap((r) => r.checks.map((c) => ({ scenario: r.id, ...c })));
  const met = checks.filter((c) => c.met === true).length;
  const missed = checks.filter((c) => c.met === false);
  console.log(`\nAims: ${met} met, ${missed.length} missed, ${checks.length - met - missed.length} not measurable here; ${failures.length} scenario failures. ${((Date.now() - t0) / 1000).toFixed(0)} s in all.`);
  for (const c of missed) console.log(`  ✗ ${c.scenario}: ${c.aim} — ${c.measured}`);
  for (const f of failures) console.log(`  ✗ ${f.scenario}: failed: ${f.error.split('\n')[0]}`);

  const out = {
    startedAt: started.toISOString(),
    seconds: (Date.now() - t0) / 1000,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    args,
    results: results.map((r) => ({ ...r, series: r.series.map((s) => ({ ...s, median: median(s.values), min: Math.min(...s.values), max: Math.max(...s.values) })) })),
    failures,
  };
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(out, null, 2));
  fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(out, null, 2));
  console.log(`\nResults: ${path.relative(ROOT, file)} (and bench/results/latest.json)`);
  if (failures.length) process.exitCode = 1;
}

/** Size of each shipped bundle. Activation time needs a real VS Code: the VS Code suite measures it, not this script. */
function bundleSizes(): ScenarioResult {
  const files = ['dist/extension.js', 'dist/extension-lazy.js', 'dist/webview/main.js', 'dist/cli.js'];
  const series: Series[] = [];
  const notes: string[] = ['Activation time is not measured here: requiring dist/extension.js with a fake `vscode` module would not be a real activation; the VS Code suite (test/vscode) is the place for it.'];
  for (const f of files) {
    const p = path.join(ROOT, f);
    if (!fs.existsSync(p)) {
      notes.push(`${f} is not built (its entry point does not exist yet).`);
      continue;
    }
    series.push({ variant: f, metric: 'size', unit: 'KiB', values: [fs.statSync(p).size / 1024], higherIsBetter: false });
  }
  return { id: 'bundles', title: 'Bundle sizes (node esbuild.js --production)', series, checks: [], notes };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
