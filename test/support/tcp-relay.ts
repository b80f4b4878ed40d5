import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpRelay {
  /** The relay's loopback port. */
  readonly port: number;
  /** Refuses connections and cuts the open ones, as a stopped service does. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
}

/**
 * A loopback TCP relay to a real service (Postgres, Redis) that a test takes away and brings
 * back, as an outage does, without stopping the service other tests use. `startDown` begins
 * with nothing listening on its port.
 */
export async function tcpRelay(target: { host: string; port: number }, options: { startDown?: boolean } = {}): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const up = async () => {
    const listening = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => listening.listen(port, '127.0.0.1', resolve));
    port = (listening.address() as { port: number }).port;
    server = listening;
  };
  const down = async () => {
    const closing = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  await up();
  if (options.startDown) await down();
  return {
    get port() {
      return port;
    },
    up,
    down,
  };
}
