import * as http from 'node:http';

/** Turns Node network errors into one sentence a person understands. */
export function describeNetworkError(err: unknown, target: string): string {
  const e = err as NodeJS.ErrnoException & { host?: string; hostname?: string; address?: string; port?: number; reason?: string; tls?: unknown };
  const code = e?.code ?? '';
  // dial() errors are already one sentence: a refused certificate (with the reason), a proxy that refused or is down.
  if (e?.name === 'DialError') {
    const base = `${e.message.replace(/\.$/, '')} (${target}).`;
    return e.tls ? `${base} To trust it for this connection only, allow invalid certificates ("insecure").` : base;
  }
  switch (code) {
    case 'ECONNREFUSED':
      return `Connection refused by ${e.address ? (e.address.includes(':') ? `[${e.address}]` : e.address) : ''}${e.port ? ':' + e.port : ''} (${target}): nothing is listening there.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN': {
      const host = e.hostname ?? e.host ?? target;
      const reserved = /\.(invalid|test|example)\.?$/i.test(String(host)) ? ' (a reserved name that never resolves on the public DNS)' : '';
      return `Host not found: ${host} does not resolve${code === 'EAI_AGAIN' ? ' (DNS temporarily unavailable)' : ''}${reserved} (${target}).`;
    }
    case 'ECONNRESET':
      return `The server closed the connection abruptly (${target}).`;
    case 'ETIMEDOUT':
    case 'TIMEOUT':
      // Our own timers (TIMEOUT) say which step stalled and how long they waited.
      return `Timed out: ${e.message} (${target}).`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `No route to ${target}.`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return `TLS: the server's certificate is self-signed (${target}). Allow it for this connection with "accept invalid certificates".`;
    case 'CERT_HAS_EXPIRED':
      return `TLS: the server's certificate has expired (${target}).`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `TLS: the certificate does not match the host name (${e.reason ?? target}).`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return `TLS: the certificate chain cannot be verified (${target}).`;
    case 'ABORT_ERR':
      return `Stopped (${target}).`;
    case 'HPE_HEADER_OVERFLOW':
      return `The server's response headers are larger than ${formatKiB(http.maxHeaderSize)}, Node's limit (raise it with --max-http-header-size) (${target}).`;
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return `TLS handshake failed: the server did not answer with TLS; it may speak plain HTTP on this port (try http:// or ws://) (${target}).`;
    default:
      if (code.startsWith('HPE_')) return `The server's HTTP response is malformed: ${e.message} (${target}).`;
      return `${e?.message ?? String(err)}${code ? ` [${code}]` : ''} (${target}).`;
  }
}

function formatKiB(n: number): string {
  return n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;
}
