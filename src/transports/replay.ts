import type { InspectorEvent } from '../shared/events';
import type { ConnectOptions } from '../shared/options';
import { sleep } from './clock';
import { createSession } from './index';
import type { Session } from './session';

/**
 * Replay: open a live session and send a recording's outgoing messages again, spaced as
 * they were (relative to when the recorded connection opened), so the answers can be
 * compared with the recording. The new session records everything like any other.
 */

export interface ReplayOptions {
  /** 2 = twice as fast, 0.5 = half speed, Infinity = no waits. Default 1. */
  speed?: number;
  /** Stops sending (the session stays open; close it to end it). */
  signal?: AbortSignal;
}

export interface ReplayStep {
  /** seq of the message in the recording. */
  seq: number;
  /** When to send it, in ms after the new session opened (already divided by the speed). */
  delayMs: number;
  data: string | Uint8Array;
  binary: boolean;
}

export interface ReplayPlan {
  steps: ReplayStep[];
  skipped: Array<{ seq: number; reason: string }>;
  /** t in the recording taken as "open" (delays count from there). */
  openT: number;
}

export interface ReplayResult {
  sent: number;
  failed: number;
  skipped: number;
  /** True when the session closed or the signal aborted before every message was sent. */
  stopped: boolean;
}

/** What a replay will send and when. Pure: no network. */
export function planReplay(recording: readonly InspectorEvent[], speed = 1): ReplayPlan {
  checkSpeed(speed);
  const openT = openTime(recording);
  const steps: ReplayStep[] = [];
  const skipped: ReplayPlan['skipped'] = [];
  let firstMessageAuth = recording.some((e) => e.type === 'auth' && e.method === 'first-message');
  const outs = recording.filter((e) => e.type === 'message' && e.direction === 'out').sort((a, b) => a.t - b.t || a.seq - b.seq);
  for (const m of outs) {
    if (m.type !== 'message') continue;
    if (firstMessageAuth) {
      // The first message out was the credential of the recorded session; the new session sends its own.
      firstMessageAuth = false;
      skipped.push({ seq: m.seq, reason: 'it was the first-message credential of the recorded session (the new session authenticates with its own)' });
      continue;
    }
    if (m.redacted) {
      skipped.push({ seq: m.seq, reason: 'it carried a secret that was masked in the recording, so its real content is not known' });
      continue;
    }
    steps.push({ seq: m.seq, delayMs: Math.max(0, m.t - openT) / speed, data: m.data, binary: m.binary });
  }
  return { steps, skipped, openT };
}

/** The recorded "open": the first `open` state, else the first successful response, else the start. */
function openTime(rec: readonly InspectorEvent[]): number {
  const open = rec.find((e) => e.type === 'state' && e.state === 'open');
  if (open) return open.t;
  const ok = rec.find((e) => e.type === 'response' && (e.status === 101 || (e.status >= 200 && e.status < 300)));
  if (ok) return ok.t;
  return rec[0]?.t ?? 0;
}

function checkSpeed(speed: number): void {
  if (typeof speed !== 'number' || Number.isNaN(speed) || speed <= 0) throw new RangeError(`The replay speed must be a number > 0 (got ${String(speed)}): 1 is the recorded pace, 2 twice as fast.`);
}

const results = new WeakMap<Session, Promise<ReplayResult>>();

/**
 * Opens a session with `options` (rejects with ConnectError when it cannot open) and starts
 * sending the recording's outgoing messages at their recorded offsets from the open. Resolves
 * with the session as soon as it is open; `whenReplayDone(session)` tells when the last
 * message went. Progress is logged in the session as `info` events (keys `replay`,
 * `replay-skipped`, `replay-done`, `replay-stopped`).
 */
export async function replay(recording: readonly InspectorEvent[], options: ConnectOptions, opts: ReplayOptions = {}): Promise<Session> {
  const speed = opts.speed ?? 1;
  const plan = planReplay(recording, speed);
  const session = createSession(options);
  await session.connect();
  const openAt = session.now();
  const n = plan.steps.length;
  session.emit({
    type: 'info',
    key: 'replay',
    message: `Replaying ${n} outgoing message${n === 1 ? '' : 's'} from a recording at ${speed === Infinity ? 'full' : `${speed}×`} speed${plan.skipped.length ? ` (${plan.skipped.length} skipped)` : ''}.`,
  });
  for (const s of plan.skipped) session.emit({ type: 'info', key: 'replay-skipped', message: `Recorded message #${s.seq} is not replayed: ${s.reason}.` });
  results.set(session, run(session, plan, openAt, opts.signal));
  return session;
}

/** Resolves when a replay started by `replay()` has sent its last message (or stopped). */
export function whenReplayDone(session: Session): Promise<ReplayResult> {
  const p = results.get(session);
  if (!p) return Promise.reject(new Error('This session was not started by replay().'));
  return p;
}

async function run(session: Session, plan: ReplayPlan, openAt: number, signal: AbortSignal | undefined): Promise<ReplayResult> {
  const stop = new AbortController();
  const off = session.onEvent((e) => {
    if (e.type === 'state' && (e.state === 'closing' || e.state === 'closed')) stop.abort();
  });
  const onAbort = (): void => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted || session.state === 'closed' || session.state === 'closing') stop.abort();
  let sent = 0;
  let failed = 0;
  try {
    for (const step of plan.steps) {
      // Absolute schedule from the open: a slow send delays the next one, never the ones after it.
      const wait = openAt + step.delayMs - session.now();
      if (wait > 0) await sleep(wait, stop.signal);
      if (stop.signal.aborted) break;
      try {
        await session.send(step.data, { binary: step.binary });
        sent++;
      } catch (err) {
        if (stop.signal.aborted || session.state !== 'open') break;
        failed++;
        session.emit({ type: 'error', code: 'REPLAY_SEND_FAILED', message: session.redact(`Replaying message #${step.seq} failed: ${err instanceof Error ? err.message : String(err)}`), fatal: false });
      }
    }
  } finally {
    off();
    signal?.removeEventListener('abort', onAbort);
  }
  const total = plan.steps.length;
  const stopped = sent + failed < total;
  if (stopped) {
    session.emit({ type: 'info', key: 'replay-stopped', message: `Replay stopped after ${sent + failed} of ${total} messages: ${signal?.aborted ? 'it was cancelled' : 'the session closed'}.` });
  } else {
    session.emit({ type: 'info', key: 'replay-done', message: `Replay finished: ${sent} message${sent === 1 ? '' : 's'} sent${failed ? `, ${failed} failed` : ''}.` });
  }
  return { sent, failed, skipped: plan.skipped.length, stopped };
}
