/** Per-test cleanup: whatever a test opens is closed after it, newest first. */
import { afterEach } from 'node:test';
import { startDemoServer, type DemoServer, type DemoServerOptions } from '../../src/demo/server';

export interface Cleanup {
  /** Registers a closer to run after the current test. */
  defer(fn: () => Promise<unknown> | void): void;
  /** Starts a demo server on 127.0.0.1:0 that is closed after the current test. */
  demo(opts?: DemoServerOptions): Promise<DemoServer>;
}

export function useCleanup(): Cleanup {
  const cleanups: Array<() => Promise<unknown> | void> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  return {
    defer: (fn) => void cleanups.push(fn),
    demo: async (opts = {}) => {
      const d = await startDemoServer({ port: 0, ...opts });
      cleanups.push(() => d.close());
      return d;
    },
  };
}
