/** Turns Node network errors into one sentence a person understands. */
export function describeNetworkError(err: unknown, target: string): string {
  const e = err as NodeJS.ErrnoException & { host?: string; hostname?: string; address?: string; port?: number; reason?: string };
  const code = e?.code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return `Connection refused by ${e.address ?? ''}${e.port ? ':' + e.port : ''} (${target}): nothing is listening there.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Host not found: ${e.hostname ?? e.host ?? target} does not resolve${code === 'EAI_AGAIN' ? ' (DNS temporarily unavailable)' : ''}.`;
    case 'ECONNRESET':
      return `The server closed the connection abruptly (${target}).`;
    case 'ETIMEDOUT':
    case 'TIMEOUT':
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
      return `The server's response headers are too large (${target}).`;
    default:
      if (code.startsWith('HPE_')) return `The server's HTTP response is malformed: ${e.message} (${target}).`;
      return `${e?.message ?? String(err)}${code ? ` [${code}]` : ''} (${target}).`;
  }
}
