/**
 * Shared pieces of the benchmark: the result shape every scenario reports, small statistics,
 * and the alternating runner (bare and inspector take turns so drift hits both alike).
 */
import { performance } from 'node:perf_hooks';

/** One measured quantity of one variant: a value per run. */
export interface Series {
  variant: string;
  metric: string;
  unit: string;
  values: number[];
  /** Variant this one is compared with (ratio of medians, and of each run pair). */
  baseline?: string;
  /** Higher is better (throughput) or lower is better (latency, bytes). */
  higherIsBetter: boolean;
}

export interface Check {
  aim: string;
  measured: string;
  /** null: not measurable here (said in `measured`). */
  met: boolean | null;
}

export interface ScenarioResult {
  id: string;
  title: string;
  series: Series[];
  checks: Check[];
  notes: string[];
  /** Anything else worth keeping in the JSON (per-run details, samples). */
  data?: Record<string, unknown>;
}

const PATTERN = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** ASCII text of exactly `size` bytes. */
export function textPayload(size: number): string {
  return PATTERN.repeat(Math.ceil(size / PATTERN.length)).slice(0, size);
}

export function median(v: readonly number[]): number {
  if (!v.length) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile of samples (0..100). */
export function pct(samples: ArrayLike<number>, p: number): number {
  const s = Array.from(samples).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const now = (): number => performance.now();

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

/**
 * Runs every variant `runs` times, alternating the order each round (A B, B A, ...), after
 * one unmeasured warm-up round. Returns the values each variant's function returned.
 */
export async function alternate<T>(runs: number, variants: Record<string, () => Promise<T>>, opts: { warmup?: boolean; onRun?: (variant: string, value: T) => void } = {}): Promise<Record<string, T[]>> {
  const names = Object.keys(variants);
  const out: Record<string, T[]> = Object.fromEntries(names.map((n) => [n, [] as T[]]));
  if (opts.warmup !== false) {
    for (const n of names) {
      gc();
      await variants[n]();
    }
  }
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const n of order) {
      gc();
      const v = await variants[n]();
      out[n].push(v);
      opts.onRun?.(n, v);
    }
  }
  return out;
}

/** Rejects after `ms` with a message saying what did not finish: a stuck scenario must fail, not hang. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]);
}

export function ratioOfMedians(a: readonly number[], b: readonly number[]): number {
  return median(a) / median(b);
}

export function fmtNum(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1e6) return `${(n / 1e6).toPrecision(digits)}M`;
  if (a >= 1e4) return `${(n / 1e3).toPrecision(digits)}k`;
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export interface ClientParams {
  port: number;
  runs: number;
  quick: boolean;
  [k: string]: unknown;
}
