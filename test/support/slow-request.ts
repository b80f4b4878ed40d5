import { request, type ClientRequest, type OutgoingHttpHeaders } from 'node:http';

export interface SlowRequest {
  readonly req: ClientRequest;
  /** The server's answer, if it gives one before the test destroys the request. */
  readonly answer: Promise<{ status: number; body: string }>;
}

/**
 * A POST that sends its headers (declaring `declaredBytes`) and the first bytes of its body,
 * then stalls until the test destroys it, from `localAddress` (any 127.x address on Linux).
 */
export function slowRequest(url: string, headers: OutgoingHttpHeaders, options: { localAddress?: string; declaredBytes?: number } = {}): SlowRequest {
  const req = request(url, {
    method: 'POST',
    headers: { ...headers, 'content-length': String(options.declaredBytes ?? 1_000) },
    localAddress: options.localAddress ?? '127.0.0.1',
    agent: false,
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  req.write('{"user_id":');
  return { req, answer };
}

/** Destroys the requests and waits until each has ended one way or the other. */
export function endSlowRequests(requests: readonly SlowRequest[]): Promise<unknown> {
  return Promise.all(
    requests.map(({ req, answer }) => {
      req.destroy();
      return answer.catch(() => undefined);
    }),
  );
}
