import type { IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';

/** What a server answered instead of upgrading to a WebSocket. */
export interface RefusedUpgrade {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Opens a WebSocket that the server is expected to refuse with an HTTP answer; rejects if it upgrades. */
export function refusedUpgrade(url: string, headers: Record<string, string> = {}): Promise<RefusedUpgrade> {
  const socket = new WebSocket(url, { headers });
  socket.on('error', () => undefined); // the refusal ends the handshake; the answer is what counts
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('expected the upgrade refused, it was accepted'));
    });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.once('end', () => {
        socket.terminate();
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
      });
    });
  });
}
