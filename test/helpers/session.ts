/** Helpers for tests that drive a real Session: read its log, wait on its events, expect a failed connect. */
import assert from 'node:assert/strict';
import type { InspectorEvent } from '../../src/shared/events';
import { ConnectError, type Session } from '../../src/transports/session';

export function eventsOf<T extends InspectorEvent['type']>(s: Session, type: T): Array<Extract<InspectorEvent, { type: T }>> {
  return s.log.slice().filter((e): e is Extract<InspectorEvent, { type: T }> => e.type === type);
}

export const count = (s: Session, type: InspectorEvent['type']): number => s.log.slice().filter((e) => e.type === type).length;

/** Resolves once `check(events)` holds, re-checking on every event of the session. */
export function untilEvents(s: Session, check: (evs: InspectorEvent[]) => boolean, what: string, timeoutMs = 8000): Promise<void> {
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
