import type { WebSocket } from 'ws';
import { closeGraceMs } from './departure.ts';
import type { DropReason, Subscriber } from './hub.ts';
import type { Frame } from './record.ts';

/**
 * Close codes a client can act on: 1008 means get a new token (`token-expired`) or reconnect
 * without `resume` (`refused`), 1013 reconnect with `resume`. A token refused when connecting is
 * no close code: the upgrade is answered 401 (or 503 when the keys cannot be fetched).
 */
export const closeCodes: Record<DropReason | 'refused', number> = {
  refused: 1008, // policy violation: a resume position that is unreadable or not the user's
  'token-expired': 1008,
  'slow-client': 1013, // try again later
  'replay-overflow': 1013,
  'replay-failed': 1011, // server error
  // ws closes with its own code (1002, 1007, 1009) before the error reaches us; this one is unused.
  'protocol-error': 1002,
};

/** Ends a socket with a code and reason, and does not wait on a client that stopped reading. */
export function closeSocket(socket: WebSocket, code: number, reason: string): void {
  socket.close(code, reason);
  setTimeout(() => socket.terminate(), closeGraceMs).unref();
}

/** A WebSocket client: JSON messages `{type, id, data}`; `id` is the resume token. */
export function webSocketSubscriber(socket: WebSocket, userId: string, maxBufferedBytes: number): Subscriber & { keepAlive(): void } {
  return {
    userId,
    transport: 'websocket',
    send(frame: Frame) {
      socket.send(`{"type":"${frame.kind}","id":"${frame.id}","data":${frame.data}}`);
      return socket.bufferedAmount <= maxBufferedBytes;
    },
    drop(reason: DropReason) {
      closeSocket(socket, closeCodes[reason], reason);
    },
    keepAlive() {
      socket.ping();
    },
  };
}
