import net from 'node:net';

/**
 * A TCP proxy on loopback that the compute agents reach the image service through
 * (NIMBUS_API_URL), so a test can break or slow a download the way a network does,
 * with no hook in production code. It logs every request line and Range header it
 * forwards, which is what the test asserts on.
 */

export interface ProxiedRequest {
  method: string;
  path: string;
  range: string | null;
}

export interface Interruption {
  /** The request path whose next full (non-Range) GET is interrupted. */
  path: string;
  /** Response bytes (headers included) forwarded before the interruption. */
  afterBytes: number;
  /** How long the connection then hangs. */
  stallMs: number;
  /** true: the connection is then cut; false: the response carries on. */
  cut: boolean;
}

export class ImageProxy {
  readonly requests: ProxiedRequest[] = [];
  /** The API's port; set once the stack has started (the agents connect only when they pull). */
  targetPort: number | undefined;
  private readonly pending: Interruption[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((client) => this.relay(client));

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  interrupt(rule: Interruption): void {
    this.pending.push(rule);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: net.Socket): void {
    if (this.targetPort === undefined) return void client.destroy();
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());

    // The agents' requests are bodiless GETs, one at a time per connection (no pipelining):
    // each request head is followed by its whole response before the next head.
    let head = '';
    let rule: Interruption | undefined;
    let forwarded = 0;
    client.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      for (let end = head.indexOf('\r\n\r\n'); end >= 0; end = head.indexOf('\r\n\r\n')) {
        const [line, ...headers] = head.slice(0, end).split('\r\n');
        head = head.slice(end + 4);
        const [method, path] = line.split(' ');
        const range = headers.find((h) => /^range:/i.test(h))?.replace(/^range:\s*/i, '') ?? null;
        this.requests.push({ method, path, range });
        const i = this.pending.findIndex((r) => r.path === path);
        if (method === 'GET' && range === null && i >= 0) {
          [rule] = this.pending.splice(i, 1);
          forwarded = 0;
        }
      }
      upstream.write(chunk);
    });

    upstream.on('data', (chunk: Buffer) => {
      if (!rule || forwarded + chunk.length < rule.afterBytes) {
        forwarded += chunk.length;
        client.write(chunk);
        return;
      }
      const active = rule;
      rule = undefined;
      client.write(chunk.subarray(0, active.afterBytes - forwarded));
      upstream.pause();
      setTimeout(() => {
        if (active.cut) {
          client.destroy();
          return;
        }
        client.write(chunk.subarray(active.afterBytes - forwarded));
        upstream.resume();
      }, active.stallMs);
    });
    upstream.on('end', () => client.end());
  }
}
