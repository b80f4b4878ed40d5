/**
 * How long a client the server ended has to take its last bytes (a close frame, a dropped event)
 * before its connection is cut: one that stopped reading would otherwise hold its socket for ever.
 */
export const closeGraceMs = 1_000;

/** A client connection as far as leaving goes: an SSE response or a WebSocket. */
export interface Closable {
  once(event: 'close', listener: () => void): unknown;
}

/** Whether a client has left, known from the moment it connected. */
export interface Departure {
  hasLeft(): boolean;
  /** Runs `listener` when the client leaves, or at once if it already has. */
  onLeave(listener: () => void): void;
}

/**
 * Listens for the close as soon as a client connects: it may leave while its token is being
 * checked, and a listener added after that would never run (its stream, keep-alive and gauge
 * entry would outlive it).
 */
export function watchDeparture(connection: Closable): Departure {
  let left = false;
  const listeners: Array<() => void> = [];
  connection.once('close', () => {
    left = true;
    listeners.splice(0).forEach((listener) => listener());
  });
  return {
    hasLeft: () => left,
    onLeave(listener) {
      if (left) listener();
      else listeners.push(listener);
    },
  };
}
