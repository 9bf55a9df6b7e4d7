import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  INJECTION_MODES,
  INJECTION_STEPS,
  type ArmedFault,
  type FailureInjection,
  type InjectionMode,
  type InjectionStep,
} from '../../contracts/failure-injection.js';
import {
  applyInjection,
  exitProcess,
  validateInjection,
  type FailureInjector,
  type InjectionContext,
} from '../hypervisor/failure-injector.js';
import { KeyedMutex } from '../hypervisor/keyed-mutex.js';
import { writeJsonAtomic } from '../images/atomic-write.js';

/** Where a host keeps its armed injections, in its node directory. */
export const FAULTS_FILE = 'faults.json';

/**
 * The failure injections armed on one host (`PUT /v1/admin/hosts/{host}/faults`, which reaches
 * the host's agent through Temporal), held by the host itself in its node directory: the
 * agent needs no database to obey them, and they outlive a restart of the agent.
 *
 * Every change, a firing included, is a read-modify-write under one mutex, written atomically
 * (temp file, fsync, rename) before it is acted on: `times: 1` fires exactly once however many
 * steps run at once, and a 'crash' is on disk as spent before the process dies, so the agent
 * that restarts does not crash again. A spent injection stays listed with `times: 0`, so an
 * operator sees it fired.
 */
export class HostFaultStore implements FailureInjector {
  private readonly mutex = new KeyedMutex();
  /** The file's content once read: this store is the file's only writer. */
  private faults: ArmedFault[] | undefined;

  constructor(
    private readonly file: string,
    /** What a 'crash' does: exit the agent, or in the simulated fleet stop one host. */
    private readonly crash: () => void = exitProcess,
    private readonly now: () => Date = () => new Date(),
  ) {}

  static inNodeDir(dir: string, crash?: () => void): HostFaultStore {
    return new HostFaultStore(path.join(dir, FAULTS_FILE), crash);
  }

  /** Arms (or re-arms, replacing mode and count) the injection of one step; answers all the host holds. */
  async arm(fault: FailureInjection): Promise<ArmedFault[]> {
    const { step, mode, times } = validateInjection(fault);
    return this.change((faults) => [
      ...faults.filter((f) => f.step !== step),
      { step, mode, times, armedAt: this.now().toISOString() },
    ]);
  }

  list(): Promise<ArmedFault[]> {
    return this.locked(async () => copy(await this.load()));
  }

  /** Disarms every injection; answers what is left (nothing). */
  clear(): Promise<ArmedFault[]> {
    // Without reading the file first: clearing is also the way out of a damaged one.
    return this.locked(async () => {
      await this.save([]);
      return [];
    });
  }

  /** Takes one firing of the step's injection, if one is armed, and persists it before answering. */
  take(step: InjectionStep): Promise<InjectionMode | null> {
    return this.locked(async () => {
      const faults = await this.load();
      const armed = faults.find((f) => f.step === step && f.times > 0);
      if (!armed) return null;
      await this.save(faults.map((f) => (f === armed ? { ...f, times: f.times - 1 } : f)));
      return armed.mode;
    });
  }

  async before(step: InjectionStep, ctx: InjectionContext): Promise<void> {
    const mode = await this.take(step);
    if (mode) await applyInjection({ step, mode }, ctx, this.crash);
  }

  private change(next: (faults: ArmedFault[]) => ArmedFault[]): Promise<ArmedFault[]> {
    return this.locked(async () => {
      const faults = next(await this.load()).sort((a, b) => a.step.localeCompare(b.step));
      await this.save(faults);
      return copy(faults);
    });
  }

  private locked<T>(task: () => Promise<T>): Promise<T> {
    return this.mutex.run(this.file, task);
  }

  private async load(): Promise<ArmedFault[]> {
    if (this.faults) return this.faults;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return (this.faults = []);
    }
    return (this.faults = parseFaults(text, this.file));
  }

  private async save(faults: ArmedFault[]): Promise<void> {
    await writeJsonAtomic(this.file, faults);
    this.faults = faults;
  }
}

const copy = (faults: ArmedFault[]): ArmedFault[] => faults.map((f) => ({ ...f }));

/** The file as this store writes it; anything else is refused by name rather than half obeyed. */
function parseFaults(text: string, file: string): ArmedFault[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const valid = (f: Partial<ArmedFault>) =>
    (INJECTION_STEPS as readonly unknown[]).includes(f.step) &&
    (INJECTION_MODES as readonly unknown[]).includes(f.mode) &&
    Number.isInteger(f.times) &&
    f.times! >= 0 &&
    typeof f.armedAt === 'string';
  if (!Array.isArray(value) || !value.every((f) => typeof f === 'object' && f !== null && valid(f))) {
    throw new Error(`${file} is not a list of armed faults: clear the host's faults or remove the file`);
  }
  return value as ArmedFault[];
}
