import http from 'node:http';

/**
 * A keep-alive JSON client on node:http: cheaper per request than fetch, which matters
 * when the benchmark shares two cores with the stack it measures.
 *
 * A kept-alive socket may be closed by the server (its idle timeout) just as a request goes
 * out on it: the request fails with ECONNRESET ("socket hang up") without having been read.
 * Such a request is sent once more on a fresh socket when repeating it is safe: a GET, or a
 * request with an Idempotency-Key (the API answers a repeat with the first one's result).
 */
export class BenchHttp {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(
    baseUrl: string,
    private readonly token: string,
    maxSockets = 32,
  ) {
    this.base = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /** How many requests were sent again after their kept-alive socket was reset. */
  retriedOnReset = 0;

  request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T; headers: http.IncomingHttpHeaders }> {
    return this.send<T>(method, path, body, headers, method === 'GET' || 'Idempotency-Key' in headers);
  }

  private send<T>(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
    repeatable: boolean,
  ): Promise<{ status: number; body: T; headers: http.IncomingHttpHeaders }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          headers: {
            ...headers,
            authorization: `Bearer ${this.token}`,
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // Not JSON: keep the text for the error message.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T, headers: res.headers });
          });
          res.on('error', reject);
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (!(repeatable && req.reusedSocket && err.code === 'ECONNRESET')) return reject(err);
        this.retriedOnReset++;
        resolve(this.send<T>(method, path, body, headers, false));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
