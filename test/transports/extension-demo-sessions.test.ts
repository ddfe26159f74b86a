/**
 * The extension host's session plumbing without VS Code: every "Connect to Demo Server"
 * choice against the real demo server, recorded raw (showSecrets: true, as the host does)
 * and shown through the edge redactor; rows, details, exports and hints must never carry
 * the token, while the raw log (for "include secrets") does.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startDemoServer, type DemoServer } from '../../src/demo/server';
import { withSettings } from '../../src/extension/connectOptions';
import { DEMO_CHOICES, demoConnection, demoFormDefaults } from '../../src/extension/demoChoices';
import { redactorFor, type EdgeRedactor } from '../../src/extension/edgeRedaction';
import { exportText } from '../../src/extension/exportText';
import { DisposableStore } from '../../src/extension/disposables';
import type { SessionEntry } from '../../src/extension/sessionManager';
import { SETTING_DEFAULTS } from '../../src/extension/settings';
import type { InspectorEvent } from '../../src/shared/events';
import { computeHints } from '../../src/shared/hintRules';
import { toRow } from '../../src/shared/rows';
import { toJsonEvent } from '../../src/shared/serialize';
import { createSession, type Session } from '../../src/transports/index';

const SETTINGS = { ...SETTING_DEFAULTS, pollIntervalMs: 100, timeoutMs: 5000 };

/** Resolves with the first event matching `pred` (already recorded or still to come). */
function waitFor(session: Session, pred: (ev: InspectorEvent) => boolean, what: string, ms = 10_000): Promise<InspectorEvent> {
  for (const ev of session.log) if (pred(ev)) return Promise.resolve(ev);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}; log: ${[...session.log].map((e) => e.type).join(',')}`));
    }, ms);
    const off = session.onEvent((ev) => {
      if (pred(ev)) {
        clearTimeout(timer);
        off();
        resolve(ev);
      }
    });
  });
}

describe('demo server choices as the extension opens them', () => {
  let demo: DemoServer;
  const open: Session[] = [];

  before(async () => {
    demo = await startDemoServer({ rate: 20, payloadSize: 32, longPollTimeoutMs: 2000 });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  after(async () => {
    await demo.close();
  });

  /** Opens a choice as the host does: settings applied, recorded raw, shown through the edge redactor. */
  async function start(id: string): Promise<{ session: Session; redactor: EdgeRedactor; entry: SessionEntry }> {
    const choice = DEMO_CHOICES.find((c) => c.id === id)!;
    const options = withSettings(demoConnection(demo, choice).options, SETTINGS);
    const redactor = redactorFor(options);
    const session = createSession({ ...options, showSecrets: true });
    open.push(session);
    session.onEvent((ev) => redactor.observe(ev));
    await session.connect();
    const entry: SessionEntry = { id: 's1', name: id, transport: session.transport, readOnly: false, log: session.log, stats: session.stats, redactor, live: session, options, url: redactor.url(options.url), createdAt: Date.now(), store: new DisposableStore() };
    return { session, redactor, entry };
  }

  for (const choice of DEMO_CHOICES) {
    it(`${choice.label}: connects and receives ticks`, async () => {
      const { session } = await start(choice.id);
      assert.equal(session.transport, choice.transport);
      const msg = await waitFor(session, (ev) => ev.type === 'message' && ev.direction === 'in', 'an incoming message');
      assert.ok(msg.type === 'message' && msg.size > 0);
      assert.ok(!session.log.slice().some((ev) => ev.type === 'error' && ev.fatal), 'no fatal error');
    });
  }

  for (const id of ['ws-query', 'ws-subprotocol', 'ws-first-message', 'sse-bearer', 'long-poll-cookie', 'poll-token-url']) {
    it(`${id}: the raw log holds the credential, everything shown is redacted`, async () => {
      const { session, redactor, entry } = await start(id);
      await waitFor(session, (ev) => ev.type === 'message' && ev.direction === 'in', 'an incoming message');
      if (session.transport === 'ws') {
        // The demo echoes what it gets: the token comes back inside a payload.
        await session.send(`echo ${demo.demoToken}`);
        await waitFor(session, (ev) => ev.type === 'message' && ev.direction === 'in' && typeof ev.data === 'string' && ev.data.includes('echo '), 'the echo');
      }
      const auth = session.log.slice().filter((ev) => ev.type === 'auth');
      assert.ok(auth.length > 0, 'an auth event');
      // Short-lived tokens are only known once fetched: the redactor learned them from the auth event.
      const all = [demo.demoToken, 'demo-secret', ...auth.map((a) => (a.type === 'auth' ? a.value : ''))];
      const raw = exportText(entry, 'ndjson', true, '0.0.0');
      assert.ok(all.some((s) => raw.includes(s)), 'the export with "include secrets" has the credential');

      const shown = [
        exportText(entry, 'ndjson', false, '0.0.0'),
        exportText(entry, 'har', false, '0.0.0'),
        JSON.stringify(session.log.slice().map((ev) => toRow(redactor.event(ev)))),
        JSON.stringify(session.log.slice().map((ev) => toJsonEvent(redactor.event(ev)))),
        JSON.stringify(computeHints({ stats: session.stats, options: session.options, events: session.log.slice() }).map((h) => ({ ...h, message: redactor.text(h.message) }))),
      ].join('\n');
      for (const s of all) assert.ok(!shown.includes(s), `"${s.slice(0, 6)}…" leaked into what the panel or a redacted export shows`);
      assert.ok(shown.includes('«redacted'), 'redaction marks are visible');
    });
  }

  it('fills the panel form for each transport', () => {
    assert.deepEqual(demoFormDefaults(demo, 'ws'), { url: demo.urls.ws, transport: 'ws', auth: { method: 'none' }, sendUrl: undefined });
    assert.deepEqual(demoFormDefaults(demo, 'long-poll'), { url: demo.urls['long-poll'], transport: 'long-poll', auth: { method: 'none' }, sendUrl: demo.urls.send });
  });
});
