import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseStreamInspector, formatByteLimit, type StreamEnd } from '../../src/transports/sseStream';

/** Everything the inspector reported, in order, as plain records. */
type Rec =
  | { kind: 'event'; data: string; event?: string; id?: string; retry?: number; size: number; overhead: number }
  | { kind: 'comment'; text: string }
  | { kind: 'retry'; raw: string; value?: number }
  | { kind: 'unknown'; name: string }
  | { kind: 'limit'; which: 'line' | 'event'; limit: number };

interface Run {
  recs: Rec[];
  events: Extract<Rec, { kind: 'event' }>[];
  /** push() results, in order. */
  pushed: boolean[];
  end: StreamEnd;
}

function inspector(recs: Rec[], maxLineBytes: number): SseStreamInspector {
  return new SseStreamInspector(
    {
      onEvent: (data, event, id, retry, size, overhead) => recs.push({ kind: 'event', data, event, id, retry, size, overhead }),
      onComment: (text) => recs.push({ kind: 'comment', text }),
      onRetry: (raw, value) => recs.push({ kind: 'retry', raw, value }),
      onUnknownField: (name) => recs.push({ kind: 'unknown', name }),
      onLimit: (which, limit) => recs.push({ kind: 'limit', which, limit }),
    },
    { maxLineBytes },
  );
}

function run(chunks: Uint8Array[], maxLineBytes = 1024 * 1024): Run {
  const recs: Rec[] = [];
  const ins = inspector(recs, maxLineBytes);
  const pushed = chunks.map((c) => ins.push(c));
  const end = ins.end();
  return { recs, events: recs.filter((r): r is Extract<Rec, { kind: 'event' }> => r.kind === 'event'), pushed, end };
}

/** Deterministic PRNG (mulberry32) so "random" splits are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const bytes = (s: string | Buffer): Buffer => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s);

/** The chunkings every fixture is fed in: whole, one byte at a time, and seeded random splits. */
function chunkings(input: Buffer): Array<{ name: string; chunks: Buffer[] }> {
  const out = [{ name: 'whole', chunks: [input] }, { name: 'byte-by-byte', chunks: [...input].map((b) => Buffer.from([b])) }];
  for (const seed of [1, 2, 3, 42, 1234]) {
    const r = rng(seed);
    const chunks: Buffer[] = [];
    let i = 0;
    while (i < input.length) {
      const n = 1 + Math.floor(r() * 7);
      chunks.push(input.subarray(i, i + n));
      i += n;
    }
    out.push({ name: `random splits (seed ${seed})`, chunks });
  }
  return out;
}

/**
 * Feeds `input` in every chunking, checks they all agree, returns the whole-chunk run.
 * `mixedCR`: the stream mixes bare CR and CRLF endings, so a CR that ends a chunk may be
 * counted in the neighbouring event: per-event overhead may move by a byte, nothing else.
 */
function parseAll(input: string | Buffer, maxLineBytes?: number, mixedCR = false): Run {
  const buf = bytes(input);
  const runs = chunkings(buf).map((c) => ({ name: c.name, run: run(c.chunks, maxLineBytes) }));
  const ref = runs[0].run;
  const view = (r: Run): unknown[] => (mixedCR ? r.recs.map((x) => (x.kind === 'event' ? { ...x, overhead: 0 } : x)) : r.recs);
  for (const { name, run: r } of runs.slice(1)) {
    assert.deepEqual(view(r), view(ref), `chunking "${name}" disagrees with the whole input`);
  }
  return ref;
}

const ev = (data: string, more: { event?: string; id?: string; retry?: number; size?: number; overhead?: number } = {}) => ({
  kind: 'event' as const,
  data,
  event: more.event,
  id: more.id,
  retry: more.retry,
  size: more.size ?? Buffer.byteLength(data),
  overhead: more.overhead,
});

/** Compares events ignoring overhead when the expectation leaves it out. */
function assertEvents(actual: Run['events'], expected: ReturnType<typeof ev>[]): void {
  assert.equal(actual.length, expected.length, `expected ${expected.length} events, got ${JSON.stringify(actual)}`);
  expected.forEach((e, i) => {
    const a = actual[i];
    assert.equal(a.data, e.data, `event ${i} data`);
    assert.equal(a.event, e.event, `event ${i} type`);
    assert.equal(a.id, e.id, `event ${i} id`);
    assert.equal(a.retry, e.retry, `event ${i} retry`);
    assert.equal(a.size, e.size, `event ${i} size`);
    if (e.overhead !== undefined) assert.equal(a.overhead, e.overhead, `event ${i} overhead`);
  });
}

describe('SSE stream inspector (WHATWG event stream rules, any chunking)', () => {
  it('parses a simple event and counts payload and overhead bytes exactly', () => {
    const r = parseAll('data: hello\n\n');
    assertEvents(r.events, [ev('hello', { overhead: 8 })]); // "data: " + "\n" + "\n"
  });

  it('strips a UTF-8 BOM at the very start only (and counts it as overhead)', () => {
    const input = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes('data: a\n\n'), Buffer.from([0xef, 0xbb, 0xbf]), bytes('data: b\n\n')]);
    const r = parseAll(input);
    // The second BOM is part of the field name "\uFEFFdata": an unknown field, so "b" is never data.
    assertEvents(r.events, [ev('a', { overhead: 3 + 6 + 2 })]);
    assert.deepEqual(
      r.recs.filter((x) => x.kind === 'unknown'),
      [{ kind: 'unknown', name: '\ufeffdata' }],
    );
  });

  it('does not mistake a stream starting with BOM-like bytes for a BOM', () => {
    const r = parseAll(Buffer.concat([Buffer.from([0xef, 0xbb]), bytes('\n'), bytes('data: x\n\n')]));
    assertEvents(r.events, [ev('x')]);
  });

  it('accepts CR, LF and CRLF line endings, mixed', () => {
    const r = parseAll('data: a\r\rdata: b\r\n\r\ndata: c\n\nid: 4\revent: e\ndata: d\r\n\n', undefined, true);
    assertEvents(r.events, [ev('a'), ev('b'), ev('c'), ev('d', { id: '4', event: 'e' })]);
  });

  it('handles a CR at the end of one chunk followed by LF at the start of the next (one line end, not two)', () => {
    const r = run([bytes('data: x\r'), bytes('\ndata: y\r'), bytes('\n\r'), bytes('\n')]);
    // 2 lines of 7 bytes + CRLF each, the blank CRLF, minus the 3 payload bytes ("x", "\n", "y").
    assertEvents(r.events, [ev('x\ny', { overhead: 2 * 9 + 2 - 3 })]);
    // The same bytes in one chunk give the same bytes per event.
    assert.deepEqual(run([bytes('data: x\r\ndata: y\r\n\r\n')]).events, r.events);
  });

  it('counts CRLF events the same whatever the chunking', () => {
    const input = bytes('id: 1\r\ndata: one\r\n\r\n: ping\r\n\r\nevent: e\r\ndata: two\r\ndata: lines\r\n\r\n');
    const r = parseAll(input);
    assertEvents(r.events, [ev('one', { id: '1', overhead: 7 + 6 + 2 + 2 }), ev('two\nlines', { event: 'e' })]);
  });

  it('counts bare-CR events the same whatever the chunking', () => {
    const r = parseAll('data: a\r\rid: 2\rdata: b\rdata: c\r\r');
    assertEvents(r.events, [ev('a', { overhead: 6 + 1 + 1 }), ev('b\nc', { id: '2', overhead: 6 + 8 + 8 + 1 - 3 })]);
  });

  it('dispatches an event ended by CR CR at once, without waiting for more bytes', () => {
    const recs: Rec[] = [];
    const ins = inspector(recs, 1024);
    ins.push(bytes('data: now\r\r'));
    assert.deepEqual(
      recs.map((x) => x.kind === 'event' && x.data),
      ['now'],
    );
  });

  it('takes "data:" without a space, and strips only one space', () => {
    const r = parseAll('data:no-space\n\ndata:  two spaces\n\n');
    assertEvents(r.events, [ev('no-space', { overhead: 5 + 2 }), ev(' two spaces')]);
  });

  it('treats a bare "data" (no colon) as an empty data line, which still dispatches', () => {
    const r = parseAll('data\n\ndata\ndata\n\ndata: \n\n');
    assertEvents(r.events, [ev('', { overhead: 6 }), ev('\n', { size: 1 }), ev('')]);
  });

  it('joins multi-line data with \\n and counts the joining newlines as payload', () => {
    const r = parseAll('data: a\ndata: bb\ndata: ccc\n\n');
    assertEvents(r.events, [ev('a\nbb\nccc', { size: 8, overhead: 3 * 7 + 1 - 2 })]);
  });

  it('ignores an id containing NULL, keeps other ids, and an empty id is empty', () => {
    const r = parseAll('id: a\u0000b\ndata: x\n\nid: 7\ndata: y\n\nid\ndata: z\n\n');
    assertEvents(r.events, [ev('x'), ev('y', { id: '7' }), ev('z', { id: '' })]);
  });

  it('reports retry raw, ignores non-digit values, and puts a valid retry on its event', () => {
    const r = parseAll('retry: 12a\nretry: 0300\ndata: x\n\nretry\nretry: -5\ndata: y\n\n');
    assert.deepEqual(
      r.recs.filter((x) => x.kind === 'retry'),
      [
        { kind: 'retry', raw: '12a', value: undefined },
        { kind: 'retry', raw: '0300', value: 300 },
        { kind: 'retry', raw: '', value: undefined },
        { kind: 'retry', raw: '-5', value: undefined },
      ],
    );
    assertEvents(r.events, [ev('x', { retry: 300 }), ev('y')]);
  });

  it('reports comments raw (one leading space removed), inside and between events', () => {
    const input = ': heartbeat\n:\n:no-space\n:  two\ndata: x\n: inside\n\n';
    const r = parseAll(input);
    assert.deepEqual(
      r.recs.map((x) => (x.kind === 'comment' ? x.text : x.kind)),
      ['heartbeat', '', 'no-space', ' two', 'inside', 'event'],
    );
    // Comments in the event's block (no blank line before it) are part of its overhead.
    assertEvents(r.events, [ev('x', { overhead: input.length - 1 })]);
  });

  it('resets the event type after each dispatch', () => {
    const r = parseAll('event: a\ndata: 1\n\ndata: 2\n\nevent: b\ndata: 3\n\n');
    assertEvents(r.events, [ev('1', { event: 'a' }), ev('2'), ev('3', { event: 'b' })]);
  });

  it('does not dispatch a block without data lines', () => {
    const r = parseAll('event: x\n\nid: 5\n\n: only a comment\n\nretry: 100\n\n');
    assert.equal(r.events.length, 0);
  });

  it('keeps multibyte UTF-8 intact however it is split, and sizes it in bytes', () => {
    const text = 'héllo 😀 世界 ✓';
    const r = parseAll(`data: ${text}\nid: ñ\n\ndata: ${text}${text}\n\n`);
    assertEvents(r.events, [ev(text, { id: 'ñ', size: Buffer.byteLength(text) }), ev(text + text)]);
  });

  it('reports unknown fields (spec: ignored) and survives binary junk', () => {
    const r = parseAll('foo: bar\nbaz\ndata: ok\n\n');
    assert.deepEqual(
      r.recs.filter((x) => x.kind === 'unknown'),
      [
        { kind: 'unknown', name: 'foo' },
        { kind: 'unknown', name: 'baz' },
      ],
    );
    assertEvents(r.events, [ev('ok')]);

    const rand = rng(7);
    const junk = Buffer.alloc(4096);
    for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rand() * 256);
    const mixed = Buffer.concat([junk, bytes('\n\ndata: after junk\n\n')]);
    const j = parseAll(mixed);
    assert.equal(j.events.at(-1)?.data, 'after junk');
    assert.ok(j.pushed.every(Boolean));
  });

  it('byte counts add up: payload + overhead of every event == the stream bytes', () => {
    const input = bytes('\ufeffid: 1\ndata: a\n\nevent: t\r\ndata: ✓✓\r\ndata: b\r\n\r\n:c\rdata:x\r\r');
    for (const { name, chunks } of chunkings(input)) {
      const r = run(chunks);
      const total = r.events.reduce((n, e) => n + e.size + e.overhead, 0);
      assert.equal(total, input.length, `chunking ${name}`);
    }
  });

  it('stops on a line longer than the limit, with or without its newline, in any chunking', () => {
    // 16 bytes exactly is allowed.
    assertEvents(parseAll('data: 0123456789\n\n', 16).events, [ev('0123456789')]);
    for (const input of ['data: ok\n\ndata: 01234567890\n\ndata: never\n\n', 'data: ok\n\ndata: 01234567890123456789']) {
      for (const { name, chunks } of chunkings(bytes(input))) {
        const r = run(chunks, 16);
        assert.deepEqual(
          r.recs.map((x) => x.kind),
          ['event', 'limit'],
          `${name}: ${JSON.stringify(r.recs)}`,
        );
        assert.deepEqual(r.recs[1], { kind: 'limit', which: 'line', limit: 16 });
        assert.equal(r.pushed.at(-1), false, 'push() keeps returning false after the limit');
      }
    }
  });

  it('stops when one event\'s data grows past the limit across many lines', () => {
    const r = parseAll('data: 0123456789\ndata: 0123456789\n\n', 16);
    assert.deepEqual(r.recs, [{ kind: 'limit', which: 'event', limit: 16 }]);
  });

  it('parses again after reset() following a limit', () => {
    const recs: Rec[] = [];
    const ins = inspector(recs, 8);
    assert.equal(ins.push(bytes('data: 123456789\n')), false);
    assert.equal(ins.stopped, true);
    ins.reset();
    assert.equal(ins.push(bytes('data: 1\n\n')), true);
    assert.deepEqual(
      recs.map((x) => x.kind),
      ['limit', 'event'],
    );
  });

  it('end() reports an unfinished event (dropped per spec) and nothing for a clean end', () => {
    assert.deepEqual(run([bytes('data: a\n\n')]).end, { discardedBytes: 0, incompleteEvent: false });
    assert.deepEqual(run([bytes('data: a\n\ndata: partial')]).end, { discardedBytes: 13, incompleteEvent: true });
    const noBlank = run([bytes('data: x\n')]);
    assert.equal(noBlank.events.length, 0);
    assert.deepEqual(noBlank.end, { discardedBytes: 8, incompleteEvent: true });
    assert.deepEqual(run([bytes(': tail comment\n')]).end, { discardedBytes: 15, incompleteEvent: false });
  });

  it('agrees with a reference parser on 300 random streams, in every chunking', () => {
    const texts = ['plain', 'héllo', '😀 emoji', '世界', ' leading space', 'a:b:c', '{"seq":1,"data":"x"}', ''];
    const r = rng(2024);
    const pick = <T,>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
    const menu: Array<() => string> = [
      () => `data: ${pick(texts)}`,
      () => `data:${pick(texts)}`,
      () => 'data',
      () => `event: ${pick(['tick', 'update', ''])}`,
      () => `id: ${pick(['1', '42', 'ñ-7', 'a\u0000b', ''])}`,
      () => 'id',
      () => `retry: ${pick(['0', '1500', '0300', '12x', '-1', ''])}`,
      () => 'retry',
      () => `: ${pick(texts)}`,
      () => ':',
      () => `${pick(['foo', 'Data', 'ID', 'event '])}: ${pick(texts)}`,
      () => '',
      () => '',
      () => '',
    ];
    for (let k = 0; k < 300; k++) {
      const eol = pick(['\n', '\r\n', '\r']);
      const lines = Array.from({ length: 1 + Math.floor(r() * 30) }, () => pick(menu)());
      // Sometimes the stream stops in the middle of a line.
      const tail = r() < 0.3 ? pick(['data: cut', 'ev', ':']) : '';
      const input = bytes((r() < 0.2 ? '\ufeff' : '') + lines.map((l) => l + eol).join('') + tail);
      const expected = reference(lines, eol, input.length - Buffer.byteLength(lines.map((l) => l + eol).join('') + tail));
      // Bare-CR streams: until the first CR that is not at a chunk end shows the style, a CR
      // ending a chunk is taken for CRLF; when wrong, the byte moves to the next event.
      const exact = eol !== '\r';
      const view = (recs: Rec[]): Rec[] => (exact ? recs : recs.map((x) => (x.kind === 'event' ? { ...x, overhead: 0 } : x)));
      const bytesOf = (recs: Rec[]): number => recs.reduce((n, x) => n + (x.kind === 'event' ? x.size + x.overhead : 0), 0);
      for (const { name, chunks } of chunkings(input)) {
        const got = run(chunks);
        const what = `stream ${k} (${JSON.stringify(lines.join('|'))}, eol ${JSON.stringify(eol)}), chunking ${name}`;
        assert.deepEqual(view(got.recs), view(expected), what);
        if (!exact && got.events.length) assert.ok(Math.abs(bytesOf(got.recs) - bytesOf(expected)) <= 1, what);
      }
    }
  });

  it('adds transport framing at an offset to the event whose line holds it, in any chunking, BOM included', () => {
    // 10 framing bytes before each event's first byte, 3 more inside the first event's data line.
    const input = bytes('\ufeffdata: one\n\n: c\ndata: two\r\n\r\ndata: three\n\n');
    const starts = [0, input.indexOf('data: one') + 6, input.indexOf(': c'), input.indexOf('data: three')];
    const framing = [10, 3, 10, 10];
    const plain = run([input]).events;
    for (const { name, chunks } of chunkings(input)) {
      const recs: Rec[] = [];
      const ins = inspector(recs, 1024);
      let at = 0;
      for (const c of chunks) {
        const marks: number[] = [];
        starts.forEach((p, k) => {
          if (p >= at && p < at + c.length) marks.push(p - at, framing[k]);
        });
        ins.push(c, marks);
        at += c.length;
      }
      const evs = recs.filter((r): r is Extract<Rec, { kind: 'event' }> => r.kind === 'event');
      assert.deepEqual(
        evs.map((e) => [e.data, e.overhead]),
        [
          ['one', plain[0].overhead + 13],
          ['two', plain[1].overhead + 10],
          ['three', plain[2].overhead + 10],
        ],
        name,
      );
    }
  });

  it('formats limits as people say them', () => {
    assert.equal(formatByteLimit(1024 * 1024), '1 MiB');
    assert.equal(formatByteLimit(64 * 1024), '64 KiB');
    assert.equal(formatByteLimit(1000), '1000 bytes');
  });
});

/**
 * The WHATWG algorithm written plainly over already-split lines, with eventsource-parser's
 * reporting: an event's own id field (not the carried-over last id), an empty event name as
 * undefined, retry reported raw. `bomBytes` are counted in the first block.
 */
function reference(lines: string[], eol: string, bomBytes: number): Rec[] {
  const out: Rec[] = [];
  let data: string[] = [];
  let event: string | undefined;
  let id: string | undefined;
  let retry: number | undefined;
  let block = bomBytes;
  const eolBytes = Buffer.byteLength(eol);
  for (const line of lines) {
    block += Buffer.byteLength(line) + eolBytes;
    if (line === '') {
      if (data.length) {
        const d = data.join('\n');
        const size = Buffer.byteLength(d);
        out.push({ kind: 'event', data: d, event, id, retry, size, overhead: block - size });
      }
      data = [];
      event = id = retry = undefined;
      block = 0;
      continue;
    }
    if (line.startsWith(':')) {
      out.push({ kind: 'comment', text: line.slice(line.startsWith(': ') ? 2 : 1) });
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value || undefined;
    else if (field === 'id') {
      if (!value.includes('\u0000')) id = value;
    } else if (field === 'retry') {
      const ok = /^\d+$/.test(value);
      out.push({ kind: 'retry', raw: value, value: ok ? parseInt(value, 10) : undefined });
      if (ok) retry = parseInt(value, 10);
    } else out.push({ kind: 'unknown', name: field });
  }
  return out;
}
