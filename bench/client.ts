/**
 * The benchmark's client process: runs one scenario against the server whose port it is
 * given, and posts the ScenarioResult to the parent. Forked by bench/main.ts with
 * --expose-gc; never shares a process with a server.
 *
 *   node --import tsx --expose-gc bench/client.ts <scenario> '<json params>'
 */
import type { ClientParams, ScenarioResult } from './lib';

type Runner = (p: ClientParams) => Promise<ScenarioResult | ScenarioResult[]>;

const scenarios: Record<string, () => Promise<Runner>> = {
  'ws-recv': async () => {
    const m = await import('./scenarios/ws');
    return async (p) => {
      const out: ScenarioResult[] = [];
      for (const c of m.RECEIVE_CASES(p.quick)) {
        if (p.only && !String(p.only).split(',').includes(String(c.size))) continue;
        out.push(await m.receive(p, c));
      }
      return out;
    };
  },
  'ws-rtt': async () => (await import('./scenarios/ws')).roundTrip,
  sse: async () => (await import('./scenarios/sse')).run,
  polling: async () => (await import('./scenarios/polling')).run,
  memory: async () => (await import('./scenarios/memory')).run,
  overhead: async () => (await import('./scenarios/overhead')).run,
  load: async () => (await import('./scenarios/load')).run,
  webview: async () => (await import('./scenarios/webview')).run,
};

async function main(): Promise<void> {
  const [name, json] = process.argv.slice(2);
  const load = scenarios[name];
  if (!load) throw new Error(`unknown scenario ${JSON.stringify(name)}; known: ${Object.keys(scenarios).join(', ')}`);
  const params = JSON.parse(json ?? '{}') as ClientParams;
  const run = await load();
  const res = await run(params);
  const results = Array.isArray(res) ? res : [res];
  await new Promise<void>((resolve, reject) => process.send!({ results }, (err: Error | null) => (err ? reject(err) : resolve())));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.send?.({ error: message }, () => process.exit(1));
    if (!process.send) {
      console.error(message);
      process.exit(1);
    }
  },
);
