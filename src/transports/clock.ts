import { performance } from 'node:perf_hooks';

/** Monotonic milliseconds (fractional). Wall-clock time is only recorded once, at session start. */
export const monotonic = (): number => performance.now();

/** b - a in ms to the microsecond, like the session clock (subtracting rounded times leaves float noise: 6.9879999999999995). */
export const span = (a: number, b: number): number => Math.round((b - a) * 1000) / 1000;

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Exponential backoff with full jitter bounds: base * 2^attempt, capped. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  // Half fixed, half jitter: never a tight loop, never all clients at once.
  return Math.round(exp / 2 + (random() * exp) / 2);
}
