import { readFileSync } from 'node:fs';
import net from 'node:net';

function listen(port: number, host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => resolve(server));
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The kernel's ephemeral range: ports it hands to bind(0) and outgoing connections. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low > 1024 && high > low) return [low, high];
  } catch {
    // Not Linux: assume the IANA range.
  }
  return [49152, 65535];
}

/**
 * `count` distinct ports free on `host` right now, held open together before being
 * released so one call never hands out a port twice. They are taken *below* the ephemeral
 * range: the Temporal dev server binds internal services to ephemeral ports (bind(0)), and
 * one of those could otherwise land on a port chosen here before our server opens it.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const [ephemeralLow] = ephemeralRange();
  const low = 10_000;
  const high = Math.max(low + 1000, ephemeralLow) - 1;
  const servers: net.Server[] = [];
  try {
    for (let tries = 0; servers.length < count; tries++) {
      if (tries > 200) throw new Error(`no free port found between ${low} and ${high} on ${host}`);
      const port = low + Math.floor(Math.random() * (high - low + 1));
      const server = await listen(port, host).catch(() => null);
      if (server) servers.push(server);
    }
    return servers.map((server) => (server.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map(close));
  }
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host);
  return port;
}

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  try {
    await close(await listen(port, host));
    return true;
  } catch {
    return false;
  }
}

/**
 * Fails fast, naming the variable to change, when something else already listens where an
 * embedded server is about to: otherwise the readiness check could end up talking to it.
 */
export async function assertPortFree(port: number, what: string, envVar: string): Promise<void> {
  if (!(await isPortFree(port))) {
    throw new Error(
      `${what} cannot listen on 127.0.0.1:${port}: the port is in use (another instance still running?). ` +
        `Stop it or choose another port with ${envVar}.`,
    );
  }
}
