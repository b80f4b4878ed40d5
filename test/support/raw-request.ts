import { connect } from 'node:net';

/**
 * Sends `head` (a request line and headers, as written) over a fresh TCP connection and resolves
 * with everything the server wrote before closing: for request lines that no HTTP client would
 * send, such as a target of `//`.
 */
export function rawRequest(port: number, head: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; read so far: ${JSON.stringify(answer)}`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}
