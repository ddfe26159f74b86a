import type { TransportKind } from '../shared/events';

/** How a transport is named in messages and pickers. */
export function transportName(t: TransportKind): string {
  switch (t) {
    case 'ws':
      return 'WebSocket';
    case 'sse':
      return 'Server-Sent Events';
    case 'poll':
      return 'short polling';
    case 'long-poll':
      return 'long polling';
  }
}
