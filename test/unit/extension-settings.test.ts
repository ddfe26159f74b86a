import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_LOG_CAP, readSettings, SETTING_DEFAULTS } from '../../src/extension/settings';

describe('readSettings', () => {
  it('returns the defaults when nothing is set', () => {
    assert.deepEqual(readSettings(() => undefined), SETTING_DEFAULTS);
    assert.equal(SETTING_DEFAULTS.logCap, 100_000);
    assert.equal(SETTING_DEFAULTS.timeoutMs, 10_000);
    assert.equal(SETTING_DEFAULTS.pollIntervalMs, 1000);
    assert.equal(SETTING_DEFAULTS.longPollHoldTimeoutMs, 60_000);
    assert.equal(SETTING_DEFAULTS.followRedirects, 'same-origin');
    assert.equal(SETTING_DEFAULTS.reconnect.enabled, false);
    assert.deepEqual(SETTING_DEFAULTS.demoServer, { rate: 2, payloadSize: 64 });
  });

  it('reads set values and clamps or ignores hand-edited nonsense', () => {
    const values: Record<string, unknown> = {
      logCap: 0,
      timeoutMs: 2500.7,
      pollIntervalMs: 'fast',
      longPollHoldTimeoutMs: Number.NaN,
      followRedirects: 'sometimes',
      'reconnect.enabled': true,
      'reconnect.maxDelayMs': 5000,
      'demoServer.rate': 0.5,
      'demoServer.payloadSize': -3,
    };
    const s = readSettings((k) => values[k]);
    assert.equal(s.logCap, 1);
    assert.equal(s.timeoutMs, 2500);
    assert.equal(s.pollIntervalMs, SETTING_DEFAULTS.pollIntervalMs);
    assert.equal(s.longPollHoldTimeoutMs, SETTING_DEFAULTS.longPollHoldTimeoutMs);
    assert.equal(s.followRedirects, 'same-origin');
    assert.deepEqual(s.reconnect, { enabled: true, maxDelayMs: 5000 });
    assert.deepEqual(s.demoServer, { rate: 0.5, payloadSize: 0 });
    assert.equal(readSettings((k) => (k === 'logCap' ? 1e12 : undefined)).logCap, MAX_LOG_CAP);
  });
});
