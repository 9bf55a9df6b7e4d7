import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DriverCodes } from '../../../contracts/errors.js';
import { DomainError } from '../../errors.js';

const exec = promisify(execFile);

/** Runs a host command (`ip`, `dnsmasq`); a failure is DhcpSetupFailed quoting the command and its stderr. */
export async function hostCommand(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await exec(cmd, args, { timeout: 30_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const why = (e.stderr || e.message).trim().split('\n').slice(-3).join(' | ');
    throw new DomainError(DriverCodes.DhcpSetupFailed, `${cmd} ${args.join(' ')}: ${why}`);
  }
}

/** `ip [-n NETNS] …` in the node's namespace (or the process's own when netns is unset). */
export type IpCommand = (args: string[]) => Promise<string>;

export function ipIn(netns?: string): IpCommand {
  return (args) => hostCommand('ip', netns ? ['-n', netns, ...args] : args);
}
