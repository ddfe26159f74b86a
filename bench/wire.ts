/**
 * What went over the wire, counted independently of the inspector: a packet capture
 * (tcpdump on lo, pcap file) reassembled into per-connection byte streams, and small
 * parsers that split those streams into HTTP heads, chunked bodies, SSE event blocks and
 * WebSocket frames and count each part's bytes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** The bytes of one TCP connection, each direction in order. */
export interface TcpStream {
  clientPort: number;
  /** Both sides sent FIN (or one sent RST): the capture holds the whole connection. */
  finished: boolean;
  /** Client to server. */
  up: Buffer;
  /** Server to client. */
  down: Buffer;
}

/** Reads a pcap file (Ethernet or Linux cooked link type, IPv4) and reassembles every TCP connection to `serverPort`. */
export function readPcap(file: string, serverPort: number): TcpStream[] {
  const b = readFileSync(file);
  if (b.length < 24) return [];
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && b.readUInt32BE(0) !== 0xa1b2c3d4 && b.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${file} is not a pcap file`);
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const linkType = u32(20);
  const linkHeader = linkType === 1 ? 14 : linkType === 113 ? 16 : linkType === 0 ? 4 : -1;
  if (linkHeader < 0) throw new Error(`unsupported pcap link type ${linkType}`);
  const segs = new Map<string, Array<{ seq: number; data: Buffer }>>();
  const isn = new Map<string, number>();
  const fin = new Set<string>();
  const rst = new Set<number>();
  let o = 24;
  while (o + 16 <= b.length) {
    const incl = u32(o + 8);
    const pkt = b.subarray(o + 16, o + 16 + incl);
    o += 16 + incl;
    const ip = pkt.subarray(linkHeader);
    if (ip.length < 20 || ip[0] >> 4 !== 4 || ip[9] !== 6) continue;
    const ihl = (ip[0] & 15) * 4;
    const totalLen = ip.readUInt16BE(2);
    const tcp = ip.subarray(ihl, totalLen);
    const sport = tcp.readUInt16BE(0);
    const dport = tcp.readUInt16BE(2);
    const seq = tcp.readUInt32BE(4);
    const off = (tcp[12] >> 4) * 4;
    const flags = tcp[13];
    const up = dport === serverPort;
    if (!up && sport !== serverPort) continue;
    const key = `${up ? sport : dport}:${up ? 'up' : 'down'}`;
    // SYN consumes one sequence number: data starts at ISN + 1.
    if (flags & 0x02) isn.set(key, (seq + 1) >>> 0);
    if (flags & 0x01) fin.add(key);
    if (flags & 0x04) rst.add(up ? sport : dport);
    const data = tcp.subarray(off);
    if (!data.length) continue;
    if (!segs.has(key)) segs.set(key, []);
    segs.get(key)!.push({ seq, data: Buffer.from(data) });
  }
  const assemble = (key: string): Buffer => {
    const list = segs.get(key) ?? [];
    if (!list.length) return Buffer.alloc(0);
    const base = isn.get(key) ?? list[0].seq;
    const rel = (s: number): number => (s - base) >>> 0;
    list.sort((a, c) => rel(a.seq) - rel(c.seq));
    const parts: Buffer[] = [];
    let next = 0;
    for (const s of list) {
      const start = rel(s.seq);
      const end = start + s.data.length;
      if (end <= next) continue; // retransmission
      if (start > next) throw new Error(`capture is missing ${start - next} bytes of a TCP stream (${key}); was the capture dropping packets?`);
      parts.push(s.data.subarray(next - start));
      next = end;
    }
    return Buffer.concat(parts);
  };
  const ports = new Set([...segs.keys(), ...isn.keys()].map((k) => Number(k.split(':')[0])));
  return [...ports]
    .sort((a, c) => a - c)
    .map((clientPort) => ({
      clientPort,
      finished: rst.has(clientPort) || (fin.has(`${clientPort}:up`) && fin.has(`${clientPort}:down`)),
      up: assemble(`${clientPort}:up`),
      down: assemble(`${clientPort}:down`),
    }));
}

export interface Capture {
  /** Waits (up to 10 s) until every captured connection has ended, then stops tcpdump: a busy machine may be late writing the last packets. */
  stop(): Promise<void>;
  file: string;
}

/** Starts tcpdump on lo for one port; resolves once it is listening. Rejects when tcpdump is missing or not permitted. */
export function startCapture(port: number, file: string): Promise<Capture> {
  const bin = ['/usr/bin/tcpdump', '/usr/sbin/tcpdump'].find((p) => existsSync(p));
  if (!bin) return Promise.reject(new Error('tcpdump is not installed (apt-get install -y tcpdump)'));
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(bin, ['-i', 'lo', '--immediate-mode', '-U', '-s', '0', '-w', file, 'tcp', 'port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tcpdump did not start listening within 10 s: ${err.trim()}`));
    }, 10_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/listening on/.test(err)) {
        clearTimeout(timer);
        resolve({
          file,
          stop: async () => {
            const until = Date.now() + 10_000;
            while (Date.now() < until) {
              let streams: TcpStream[] = [];
              try {
                streams = readPcap(file, port);
              } catch {
                // A packet half written: read again.
              }
              if (streams.length && streams.every((st) => st.finished)) break;
              await new Promise((r) => setTimeout(r, 100));
            }
            await new Promise<void>((done) => {
              child.once('exit', () => done());
              child.kill('SIGINT');
            });
          },
        });
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited (${code}) before listening: ${err.trim()}`));
    });
  });
}

// ---------------------------------------------------------------------------------------
// Parsers over a reassembled stream

export interface HttpMessage {
  headBytes: number;
  head: string;
  /** Body bytes as sent (chunk framing included). */
  bodyWireBytes: number;
  /** Body bytes after removing chunk framing. */
  body: Buffer;
  /** Framing bytes of each chunk (size line + CRLFs), the last-chunk included. */
  chunkFraming: number[];
  /** For chunked bodies: the decoded bytes of each chunk. */
  chunks: Buffer[];
}

/** Splits a stream into HTTP/1.1 messages. Bodies: Content-Length, chunked, or (for a response with neither) to the end; a 101 ends parsing. */
export function parseHttp(stream: Buffer, isResponse: boolean): { messages: HttpMessage[]; rest: Buffer } {
  const messages: HttpMessage[] = [];
  let o = 0;
  while (o < stream.length) {
    const end = stream.indexOf('\r\n\r\n', o);
    if (end < 0) break;
    const headBytes = end + 4 - o;
    const head = stream.toString('latin1', o, end + 4);
    o = end + 4;
    const status = isResponse ? Number(head.slice(9, 12)) : 0;
    const header = (name: string): string | undefined => new RegExp(`\\r\\n${name}:\\s*([^\\r]*)`, 'i').exec(head)?.[1];
    const msg: HttpMessage = { headBytes, head, bodyWireBytes: 0, body: Buffer.alloc(0), chunkFraming: [], chunks: [] };
    messages.push(msg);
    if (status === 101) return { messages, rest: stream.subarray(o) };
    const len = header('content-length');
    if (/chunked/i.test(header('transfer-encoding') ?? '')) {
      const start = o;
      for (;;) {
        const lineEnd = stream.indexOf('\r\n', o);
        if (lineEnd < 0) break;
        const size = parseInt(stream.toString('latin1', o, lineEnd), 16);
        const framing = lineEnd + 2 - o + 2;
        const data = stream.subarray(lineEnd + 2, lineEnd + 2 + size);
        o = lineEnd + 2 + size + 2;
        msg.chunkFraming.push(framing);
        if (size === 0) break;
        msg.chunks.push(data);
      }
      msg.bodyWireBytes = Math.min(o, stream.length) - start;
      msg.body = Buffer.concat(msg.chunks);
    } else if (len !== undefined) {
      msg.body = stream.subarray(o, o + Number(len));
      msg.bodyWireBytes = msg.body.length;
      o += Number(len);
    } else if (isResponse && status !== 204 && status !== 304) {
      msg.body = stream.subarray(o);
      msg.bodyWireBytes = msg.body.length;
      o = stream.length;
    }
  }
  return { messages, rest: Buffer.alloc(0) };
}

export interface WsFrame {
  opcode: number;
  headerBytes: number;
  payloadBytes: number;
  masked: boolean;
}

export function parseWsFrames(stream: Buffer): WsFrame[] {
  const frames: WsFrame[] = [];
  let o = 0;
  while (o + 2 <= stream.length) {
    const opcode = stream[o] & 15;
    const masked = (stream[o + 1] & 0x80) !== 0;
    let len = stream[o + 1] & 0x7f;
    let h = 2;
    if (len === 126) {
      len = stream.readUInt16BE(o + 2);
      h = 4;
    } else if (len === 127) {
      len = Number(stream.readBigUInt64BE(o + 2));
      h = 10;
    }
    if (masked) h += 4;
    frames.push({ opcode, headerBytes: h, payloadBytes: len, masked });
    o += h + len;
  }
  return frames;
}

export interface SseBlock {
  /** Bytes of the whole block, blank line included. */
  bytes: number;
  /** Bytes of the data the event carries (data line values joined with LF). */
  dataBytes: number;
}

/** Event blocks of an SSE body (LF line endings, as the bench server writes). */
export function parseSseBlocks(body: Buffer): SseBlock[] {
  const blocks: SseBlock[] = [];
  let o = 0;
  while (o < body.length) {
    const end = body.indexOf('\n\n', o);
    if (end < 0) break;
    const lines = body.toString('utf8', o, end).split('\n');
    let data = 0;
    let n = 0;
    for (const l of lines) {
      if (l === 'data' || l.startsWith('data:')) {
        const v = l.startsWith('data: ') ? l.slice(6) : l.slice(5);
        data += Buffer.byteLength(v) + (n++ ? 1 : 0);
      }
    }
    blocks.push({ bytes: end + 2 - o, dataBytes: data });
    o = end + 2;
  }
  return blocks;
}
