/** Helpers for tests that drive a real Session: read its log, wait on its events, expect a failed connect. */
import assert from 'node:assert/strict';
import type { InspectorEvent, PingPongEvent } from '../../src/shared/events';
import { ConnectError, type Session } from '../../src/transports/session';

export function eventsOf<T extends InspectorEvent['type']>(s: Session, type: T): Array<Extract<InspectorEvent, { type: T }>> {
  return s.log.slice().filter((e): e is Extract<InspectorEvent, { type: T }> => e.type === type);
}

export const count = (s: Session, type: InspectorEvent['type']): number => s.log.slice().filter((e) => e.type === type).length;

/** Resolves once `check(events)` holds, re-checking on every event of the session. */
export function untilEvents(s: Session, check: (evs: InspectorEvent[]) => boolean, what = 'the condition', timeoutMs = 8000): Promise<void> {
  return new Promise((resolve, reject) => {
    let off = (): void => {};
    const tick = (): void => {
      if (!check(s.log.slice())) return;
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for: ${what}; log: ${s.log.slice().map((e) => e.type).join(',')}`));
    }, timeoutMs);
    off = s.onEvent(tick);
    tick();
  });
}

/** connect() must fail with a ConnectError; returns it. */
export async function connectError(s: Session): Promise<ConnectError> {
  try {
    await s.connect();
  } catch (err) {
    assert.ok(err instanceof ConnectError, `expected a ConnectError, got ${String(err)}`);
    return err;
  }
  assert.fail('connect() resolved but should have failed');
}

/** An event type's own shape (ping and pong share PingPongEvent). */
export type Ev<K extends InspectorEvent['type']> = K extends 'ping' | 'pong' ? PingPongEvent : Extract<InspectorEvent, { type: K }>;

/** The log in one line, for assertion messages. */
export function describeLog(s: Session): string {
  return [...s.log].map((e) => `${e.type}${'state' in e ? ':' + e.state : ''}${'message' in e ? `(${e.message})` : ''}`).join(', ');
}

/** Resolves with the first event (already logged or still to come) of `type` that matches. */
export function waitFor<K extends InspectorEvent['type']>(s: Session, type: K, pred: (e: Ev<K>) => boolean = () => true, ms = 8000): Promise<Ev<K>> {
  for (const e of s.log) if (e.type === type && pred(e as Ev<K>)) return Promise.resolve(e as Ev<K>);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${type} event matched within ${ms} ms; log: ${describeLog(s)}`));
    }, ms);
    const off = s.onEvent((e) => {
      if (e.type === type && pred(e as Ev<K>)) {
        clearTimeout(timer);
        off();
        resolve(e as Ev<K>);
      }
    });
  });
}
