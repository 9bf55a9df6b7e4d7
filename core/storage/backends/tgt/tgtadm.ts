import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DriverCodes } from '../../../../contracts/errors.js';
import { DomainError } from '../../../errors.js';

const exec = promisify(execFile);

/** A target as `tgtadm --op show --mode target` lists it. */
export interface TgtTarget {
  tid: number;
  iqn: string;
  /** Backing files of the target's LUNs (LUN 0, the controller, has none). */
  backingFiles: string[];
  accounts: string[];
  /** Initiator names and addresses allowed in (the ACL). */
  acl: string[];
}

/**
 * tgtadm against one tgtd (its private control port `-C`): about 10 ms a call. Every
 * operation is idempotent, as the backend above needs: adding what exists and removing
 * what does not are no-ops. A refusal becomes IscsiTargetFailed (retried: tgtd may be
 * restarting under its supervisor).
 */
export class Tgtadm {
  constructor(
    readonly controlPort: number,
    private readonly binary = 'tgtadm',
  ) {}

  /** Runs one tgtadm command; `already` matches the refusals that mean "done already". */
  async run(args: string[], already?: RegExp): Promise<string> {
    try {
      const { stdout } = await exec(this.binary, ['-C', String(this.controlPort), ...args], { timeout: 10_000 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      const why = (e.stderr || e.message).trim();
      if (already?.test(why)) return '';
      throw new DomainError(DriverCodes.IscsiTargetFailed, `tgtadm ${args.join(' ')}: ${why}`, { args });
    }
  }

  async targets(): Promise<TgtTarget[]> {
    return parseTargets(await this.run(['--lld', 'iscsi', '--op', 'show', '--mode', 'target']));
  }

  async newTarget(tid: number, iqn: string): Promise<void> {
    await this.run(['--lld', 'iscsi', '--op', 'new', '--mode', 'target', '--tid', String(tid), '-T', iqn]);
  }

  async newLun(tid: number, lun: number, file: string): Promise<void> {
    const args = ['--lld', 'iscsi', '--op', 'new', '--mode', 'logicalunit', '--tid', String(tid)];
    await this.run([...args, '--lun', String(lun), '-b', file], /already exists|exist/i);
  }

  /** Creates the CHAP account (a second one with the same name is refused, so it is replaced). */
  async setAccount(user: string, password: string): Promise<void> {
    await this.deleteAccount(user);
    await this.run(['--lld', 'iscsi', '--op', 'new', '--mode', 'account', '--user', user, '--password', password]);
  }

  async deleteAccount(user: string): Promise<void> {
    await this.run(['--lld', 'iscsi', '--op', 'delete', '--mode', 'account', '--user', user], /can't find|not found/i);
  }

  async bindAccount(tid: number, user: string): Promise<void> {
    const args = ['--lld', 'iscsi', '--op', 'bind', '--mode', 'account', '--tid', String(tid), '--user', user];
    await this.run(args, /already|exist/i);
  }

  /** Lets one initiator (by its IQN) in; with an ACL, everyone else is refused. */
  async allowInitiator(tid: number, initiatorIqn: string): Promise<void> {
    const args = ['--lld', 'iscsi', '--op', 'bind', '--mode', 'target', '--tid', String(tid), '-Q', initiatorIqn];
    await this.run(args, /already|exist/i);
  }

  async disallowInitiator(tid: number, initiatorIqn: string): Promise<void> {
    const args = ['--lld', 'iscsi', '--op', 'unbind', '--mode', 'target', '--tid', String(tid), '-Q', initiatorIqn];
    await this.run(args, /can't find|not found|no such/i);
  }

  /** Removes the target even with sessions logged in (an instance being torn down). */
  async deleteTarget(tid: number): Promise<void> {
    const args = ['--lld', 'iscsi', '--op', 'delete', '--mode', 'target', '--tid', String(tid), '--force'];
    await this.run(args, /can't find|not found|no such/i);
  }

  /** Asks tgtd to exit (it ignores SIGTERM); its targets must be gone first. */
  async stopDaemon(): Promise<void> {
    await this.run(['--op', 'delete', '--mode', 'system']);
  }
}

/** Parses `tgtadm --op show --mode target`: indentation and "Key: value" lines. */
export function parseTargets(out: string): TgtTarget[] {
  const targets: TgtTarget[] = [];
  let section = '';
  for (const line of out.split('\n')) {
    const head = /^Target (\d+): (\S+)/.exec(line);
    if (head) {
      targets.push({ tid: Number(head[1]), iqn: head[2], backingFiles: [], accounts: [], acl: [] });
      continue;
    }
    const target = targets.at(-1);
    if (!target) continue;
    const indent = line.length - line.trimStart().length;
    const text = line.trim();
    if (indent === 4 && text.endsWith(':')) section = text;
    else if (section === 'Account information:' && indent === 8 && text) target.accounts.push(text);
    else if (section === 'ACL information:' && indent === 8 && text) target.acl.push(text);
    else if (text.startsWith('Backing store path: ') && !text.endsWith('None')) {
      target.backingFiles.push(text.slice('Backing store path: '.length));
    }
  }
  return targets;
}
