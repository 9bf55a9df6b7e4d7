import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Tgtadm } from './tgtadm.js';

export interface TgtdOptions {
  tgtadm: Tgtadm;
  /** Where initiators connect: `ip:port` (the storage machine's underlay address in a fabric). */
  portal: string;
  /** Run tgtd inside this network namespace (`ip netns exec NS tgtd ...`); unset: the caller's. */
  netns?: string;
  binary?: string;
  log: Logger;
  /** Called each time a tgtd (new or adopted) answers: re-export the pool (tgtd keeps nothing). */
  onReady: () => Promise<void>;
}

/**
 * Keeps one tgtd running for the storage node: `tgtd -f -C <control port> --iscsi
 * portal=<ip:port>`. A tgtd that already answers on the control port (left by a storage
 * node that was killed) is adopted. A tgtd that stops answering is started again and the
 * pool re-exported. tgtd ignores SIGTERM, so stopping is: delete every target, then
 * `tgtadm --op delete --mode system`, then SIGKILL if it still lives.
 */
export class TgtdSupervisor {
  private child: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private checking: Promise<void> = Promise.resolve();

  constructor(private readonly opts: TgtdOptions) {}

  async start(): Promise<void> {
    await this.ensure();
    this.timer = setInterval(() => {
      this.checking = this.checking.then(() => this.ensure()).catch((err) => this.opts.log.warn({ err }, 'tgtd check'));
    }, 2000);
  }

  /** Answers on the control port, or is started (and the pool re-exported) now. */
  private async ensure(): Promise<void> {
    if (this.stopping || (await this.answers())) return;
    const [ip, port] = splitPortal(this.opts.portal);
    const tgtd = [this.opts.binary ?? 'tgtd', '-f', '-C', String(this.opts.tgtadm.controlPort)];
    const args = [...tgtd, '--iscsi', `portal=${ip}:${port}`];
    const argv = this.opts.netns ? ['ip', 'netns', 'exec', this.opts.netns, ...args] : args;
    this.opts.log.info({ argv }, 'starting tgtd');
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr?.on('data', (d: Buffer) => this.opts.log.warn({ tgtd: d.toString().trim() }, 'tgtd'));
    child.on('exit', (code, signal) => {
      if (!this.stopping) this.opts.log.warn({ code, signal }, 'tgtd exited; starting it again');
    });
    for (let i = 0; i < 100 && !(await this.answers()); i++) {
      if (child.exitCode !== null) throw new Error(`tgtd exited at start (status ${child.exitCode})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.opts.onReady();
  }

  private async answers(): Promise<boolean> {
    return this.opts.tgtadm.targets().then(
      () => true,
      () => false,
    );
  }

  /** Removes every target and asks tgtd to exit; the volume files stay (they are the pool). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.checking;
    const { tgtadm } = this.opts;
    try {
      for (const t of await tgtadm.targets()) await tgtadm.deleteTarget(t.tid);
      await tgtadm.stopDaemon();
    } catch (err) {
      this.opts.log.warn({ err }, 'tgtd did not stop through tgtadm');
    }
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    const killed = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(killed);
  }
}

function splitPortal(portal: string): [string, number] {
  const i = portal.lastIndexOf(':');
  return [portal.slice(0, i), Number(portal.slice(i + 1))];
}

/** A tgtd control port no other tgtd on this machine uses (its socket is /var/run/tgtd/socket.N). */
export function unusedControlPort(): number {
  for (;;) {
    const n = 1000 + Math.floor(Math.random() * 31_000); // tgtd takes 0-32767
    if (!existsSync(`/var/run/tgtd/socket.${n}`)) return n;
  }
}
