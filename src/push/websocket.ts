import type { WebSocket } from 'ws';
import { closeGraceMs } from './departure.ts';
import type { DropReason, Subscriber } from './hub.ts';
import type { Frame } from './record.ts';

/** Close codes a client can act on: 1008 means get a new token, 1013 reconnect with `resume`. */
export const closeCodes: Record<DropReason | 'refused' | 'keys-unavailable', number> = {
  refused: 1008, // policy violation: missing, invalid or expired token
  'keys-unavailable': 1013, // the token could not be checked: the JWKS did not answer
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
