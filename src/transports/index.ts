/**
 * The transport core: plain Node, no `vscode`. The CLI, the extension host and the tests
 * all create sessions through here.
 */
import type { ConnectOptions } from '../shared/options';
import { LongPollSession, ShortPollSession } from './polling';
import type { Session } from './session';
import { SseSession } from './sse';
import { WebSocketSession } from './websocket';

export { ConnectError, Session } from './session';
export type { EventSink } from './session';

export function createSession(options: ConnectOptions): Session {
  switch (options.transport) {
    case 'ws':
      return new WebSocketSession(options);
    case 'sse':
      return new SseSession(options);
    case 'poll':
      return new ShortPollSession(options);
    case 'long-poll':
      return new LongPollSession(options);
    default: {
      const never: never = options.transport;
      throw new Error(`unknown transport ${String(never)}`);
    }
  }
}
