import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBase64Strict, parseSendInput } from '../../src/extension/sendInput';

describe('parseSendInput', () => {
  it('sends text as typed, even empty', () => {
    assert.deepEqual(parseSendInput('hello ✓', 'text'), { ok: true, data: 'hello ✓', binary: false });
    assert.deepEqual(parseSendInput('', 'text'), { ok: true, data: '', binary: false });
  });

  it('sends valid JSON unchanged (formatting kept)', () => {
    const input = '{ "type": "subscribe",\n  "channel": "ticks" }';
    assert.deepEqual(parseSendInput(input, 'json'), { ok: true, data: input, binary: false });
  });

  it('refuses invalid JSON with where it broke', () => {
    const r = parseSendInput('{\n  "a": 1,\n  "b": }', 'json');
    assert.equal(r.ok, false);
    assert.ok(!r.ok && /not valid JSON/.test(r.error), !r.ok ? r.error : '');
    const r2 = parseSendInput('{"a":1', 'json');
    assert.ok(!r2.ok && /line 1, column 7/.test(r2.error), !r2.ok ? r2.error : '');
    const r3 = parseSendInput('{"a":1}\n}', 'json');
    assert.ok(!r3.ok && /line 2, column 1/.test(r3.error), !r3.ok ? r3.error : '');
    const empty = parseSendInput('   ', 'json');
    assert.ok(!empty.ok && /empty/.test(empty.error));
  });

  it('does not echo a huge invalid JSON input back in the error', () => {
    const big = '{"a":' + 'x'.repeat(100_000) + '}';
    const r = parseSendInput(big, 'json');
    assert.ok(!r.ok && r.error.length < 300, !r.ok ? `${r.error.length} chars` : '');
  });

  it('parses hex in the usual spellings into bytes', () => {
    for (const s of ['deadbeef', 'de ad be ef', '0xde,0xad,0xbe,0xef', 'DE:AD:BE:EF']) {
      const r = parseSendInput(s, 'hex');
      assert.ok(r.ok, s);
      assert.deepEqual([...(r.data as Uint8Array)], [0xde, 0xad, 0xbe, 0xef]);
      assert.equal(r.binary, true);
    }
  });

  it('refuses bad hex saying what is wrong', () => {
    const odd = parseSendInput('abc', 'hex');
    assert.ok(!odd.ok && /odd number of hex digits \(3\)/.test(odd.error), !odd.ok ? odd.error : '');
    const bad = parseSendInput('de ad zz', 'hex');
    assert.ok(!bad.ok && /"z" is not a hex digit/.test(bad.error), !bad.ok ? bad.error : '');
    assert.equal(parseSendInput(' ', 'hex').ok, false);
  });

  it('parses standard and URL-safe base64, with or without padding', () => {
    const bytes = [0xfb, 0xff, 0xbf, 0x01];
    for (const s of ['+/+/AQ==', '-_-_AQ==', '+/+/AQ', '+/+/ AQ==\n']) {
      const r = parseSendInput(s, 'base64');
      assert.ok(r.ok, s);
      assert.deepEqual([...(r.data as Uint8Array)], bytes, s);
    }
  });

  it('refuses bad base64 saying what is wrong', () => {
    const bad = parseSendInput('aGVsbG8*', 'base64');
    assert.ok(!bad.ok && /"\*" at position 8/.test(bad.error), !bad.ok ? bad.error : '');
    assert.match(decodeBase64Strict('aGV=sbG8') as string, /padding may only appear at the end/);
    assert.match(decodeBase64Strict('aGVsb') as string, /length \(5 characters\)/);
    assert.match(decodeBase64Strict('aGVsbA=') as string, /padding does not fill/);
    assert.equal(parseSendInput('', 'base64').ok, false);
  });
});
