/** Analysis results captured from real runs against the demo server (CLI: auth-matrix --demo --json, compare --json), ports normalized. */
import type { AuthMatrixView, ComparisonView } from '../../src/shared/protocol';

export const AUTH_MATRIX_WS: AuthMatrixView = {
  transport: "ws",
  url: "ws://127.0.0.1:41234/auth/{method}/ws",
  finishedAt: 1764306012000,
  rows: [
    {
      placement: "none",
      carrier: "no credential",
      url: "ws://127.0.0.1:41234/auth/bearer/ws",
      outcome: "rejected",
      evidence: "The server answered 401 Unauthorized instead of upgrading to WebSocket (the credential was missing or refused): {\"error\":\"unauthorized\",\"reason\":\"Missing token: expected header \\\"Authorization: Bearer <token>\\\".\"}",
      status: 401,
      timeMs: 28.3,
      risk: "Control row: if this is accepted, the endpoint does not require a credential at all."
    },
    {
      placement: "query",
      carrier: "query parameter access_token",
      url: "ws://127.0.0.1:41234/auth/query/ws",
      outcome: "accepted",
      evidence: "HTTP 101 Switching Protocols; still open after 300 ms",
      status: 101,
      timeMs: 9.4,
      risk: "The URL is written to server, proxy and load-balancer logs (and browser history, Referer): TLS hides it on the wire only; keep such tokens short-lived."
    },
    {
      placement: "bearer",
      carrier: "Authorization: Bearer header",
      url: "ws://127.0.0.1:41234/auth/bearer/ws",
      outcome: "accepted",
      evidence: "HTTP 101 Switching Protocols; messages flowing",
      status: 101,
      timeMs: 7.6,
      risk: "The safest static carrier, but browsers cannot set headers on new WebSocket(): only non-browser clients can use it."
    },
    {
      placement: "cookie",
      carrier: "cookie session",
      url: "ws://127.0.0.1:41234/auth/cookie/ws",
      outcome: "accepted",
      evidence: "HTTP 101 Switching Protocols; still open after 300 ms",
      status: 101,
      timeMs: 4.3,
      risk: "Browsers attach it automatically, so any site can open the socket with it (cross-site WebSocket hijacking) unless the server checks Origin; use HttpOnly, Secure, SameSite."
    },
    {
      placement: "subprotocol",
      carrier: "Sec-WebSocket-Protocol [\"access_token\", token]",
      url: "ws://127.0.0.1:41234/auth/subprotocol/ws",
      outcome: "accepted",
      evidence: "HTTP 101 Switching Protocols; messages flowing",
      status: 101,
      timeMs: 4.3,
      risk: "Sec-WebSocket-Protocol is not meant for secrets: servers and proxies log it, and the server must echo a protocol or browsers drop the connection."
    },
    {
      placement: "first-message",
      carrier: "first message after open",
      url: "ws://127.0.0.1:41234/auth/first-message/ws",
      outcome: "accepted",
      evidence: "first answer: {\"kind\":\"auth-ok\"}",
      status: 101,
      timeMs: 8.8,
      unauthenticatedMs: 2.7,
      risk: "The server accepts the connection before knowing who is on it: unauthenticated sockets stay open until the auth message or a deadline."
    },
    {
      placement: "token-url",
      carrier: "short-lived token from the token endpoint, as query",
      url: "ws://127.0.0.1:41234/auth/token-url/ws",
      outcome: "accepted",
      evidence: "HTTP 101 Switching Protocols; still open after 300 ms",
      status: 101,
      timeMs: 16.2,
      risk: "A short-lived token limits what a leaked URL or log line is worth, at the cost of one extra request (and a refresh) per connection."
    }
  ]
};

export const COMPARISON: ComparisonView = {
  mode: "concurrent",
  durationMs: 5000,
  intervalMs: 1000,
  startedAt: 1764306000000,
  rows: [
    {
      transport: "poll",
      url: "http://127.0.0.1:41234/poll",
      ok: true,
      ranMs: 5042,
      delivered: 4,
      messagesIn: 4,
      missed: 21,
      latencyMs: {
        p50: 73.8,
        p95: 96.5,
        p99: 96.5,
        samples: 4
      },
      requests: 5,
      uselessRequests: 1,
      wireBytes: 3056,
      payloadBytes: 256,
      bytesPerMessage: 764,
      payloadBytesPerMessage: 64,
      overheadBytesPerMessage: 700,
      reconnects: 0,
      gapMs: {
        p50: 1001.4,
        p95: 1073.8,
        p99: 1073.8,
        samples: 4
      },
      connections: 2,
      sends: {
        messages: 4,
        failed: 0,
        wireBytes: 2354,
        requests: 4,
        bytesPerSend: 588.5
      },
      hints: [
        {
          id: "poll.skipped-updates",
          severity: "warning",
          message: "The data changed more than once between polls in 3 of 3 answers (seq jumped; 21 updates never seen): polling every 1 s does not give real time."
        }
      ]
    },
    {
      transport: "long-poll",
      url: "http://127.0.0.1:41234/long-poll",
      ok: true,
      ranMs: 5208,
      delivered: 37,
      messagesIn: 37,
      missed: 0,
      latencyMs: {
        p50: 3.4,
        p95: 21.3,
        p99: 25.1,
        samples: 37
      },
      requests: 38,
      uselessRequests: 0,
      wireBytes: 22557,
      payloadBytes: 2741,
      bytesPerMessage: 609.6,
      payloadBytesPerMessage: 74.1,
      overheadBytesPerMessage: 535.6,
      reconnects: 0,
      gapMs: {
        p50: 1,
        p95: 7.9,
        p99: 93,
        samples: 36
      },
      connections: 2,
      sends: {
        messages: 4,
        failed: 0,
        wireBytes: 2374,
        requests: 4,
        bytesPerSend: 593.5
      },
      hints: [
        {
          id: "long-poll.frequent-messages",
          severity: "warning",
          message: "7.1 messages/s over long polling cost 509 bytes of HTTP headers each (87% of the wire bytes; payload 74 bytes, 38 requests): SSE would add about 15 bytes per message, WebSocket 2."
        }
      ]
    },
    {
      transport: "sse",
      url: "http://127.0.0.1:41234/sse",
      ok: true,
      ranMs: 5053,
      delivered: 36,
      messagesIn: 36,
      missed: 0,
      latencyMs: {
        p50: 4.8,
        p95: 43.1,
        p99: 108,
        samples: 36
      },
      requests: 1,
      uselessRequests: 0,
      wireBytes: 4190,
      payloadBytes: 2677,
      bytesPerMessage: 116.4,
      payloadBytesPerMessage: 74.4,
      overheadBytesPerMessage: 42,
      reconnects: 0,
      gapMs: {
        samples: 0
      },
      connections: 2,
      sends: {
        messages: 4,
        failed: 0,
        wireBytes: 2350,
        requests: 4,
        bytesPerSend: 587.5
      },
      hints: [
        {
          id: "sse.http1-connection-limit",
          severity: "info",
          message: "The stream runs over HTTP/1.1: browsers allow about 6 concurrent connections per host, and each open stream holds one (a 7th tab or stream to this host waits); HTTP/2 lifts that limit."
        }
      ]
    },
    {
      transport: "ws",
      url: "ws://127.0.0.1:41234/ws",
      ok: true,
      ranMs: 5071,
      delivered: 36,
      messagesIn: 40,
      missed: 0,
      latencyMs: {
        p50: 2.9,
        p95: 15.8,
        p99: 107,
        samples: 36
      },
      requests: 1,
      uselessRequests: 0,
      wireBytes: 3208,
      payloadBytes: 2677,
      bytesPerMessage: 89.1,
      payloadBytesPerMessage: 74.4,
      overheadBytesPerMessage: 14.8,
      reconnects: 0,
      gapMs: {
        samples: 0
      },
      connections: 1,
      sends: {
        messages: 4,
        failed: 0,
        wireBytes: 528,
        requests: 0,
        bytesPerSend: 132
      },
      hints: [
        {
          id: "ws.no-tls",
          severity: "info",
          message: "ws://127.0.0.1:41234 runs without TLS (on this machine that is harmless): proxies on the way may break the upgrade; use wss://."
        }
      ]
    }
  ],
  notes: [
    "All transports ran at the same time against the same message source, so they saw the same messages under the same conditions.",
    "Latency is receive time minus the payload's \"ts\" (same machine: one clock). Missed counts gaps in \"seq\" between the first and last message a transport saw.",
    "Bytes per message divide everything the channel put on the wire (HTTP headers both ways, bodies or frames) by the messages delivered; empty polls make it grow.",
    "Each transport also sent a message every 1000 ms: HTTP transports as a request to the send URL, WebSocket as a frame."
  ]
};
