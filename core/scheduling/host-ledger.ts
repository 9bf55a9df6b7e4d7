import { readFile } from 'node:fs/promises';
import { FaultCodes } from '../../contracts/errors.js';
import { DomainError } from '../errors.js';
import { writeJsonAtomic } from '../images/atomic-write.js';
import { KeyedMutex } from '../hypervisor/keyed-mutex.js';
import {
  DEFAULT_ALLOCATION_RATIOS,
  RESOURCES,
  shortfalls,
  type HostUsageRow,
  type ResourceRequest,
} from './capacity.js';

/** The fence of a release that names no attempt (a delete): every attempt's claim is refused. */
const FENCE_ALL = 2_147_483_647;

/**
 * How long a claim the control plane has not recorded stays in the ledger: the workflow
 * records a claim right after the host grants it, so only a claim whose build moved on (a
 * frozen agent's late claim) or whose record waits on a database away this long is older.
 */
export const UNRECORDED_CLAIM_GRACE_MS = 2 * 60_000;

/** How long a fence is kept: a late claim arrives within its own timeout, long before this. */
const FENCE_KEEP_MS = 60 * 60_000;

export interface LedgerClaim extends ResourceRequest {
  /** The build's scheduling attempt, when the claim named one. */
  attemptNo: number | null;
  claimedAt: number;
}

/** A claim the control plane has recorded on this host (the HostSync answer). */
export interface RecordedClaim extends ResourceRequest {
  instanceId: string;
  attemptNo: number | null;
}

interface LedgerFile {
  claims: Record<string, LedgerClaim>;
  fences: Record<string, { attemptNo: number; at: number }>;
}

export interface HostCapacityFigures extends ResourceRequest {
  cpuAllocationRatio?: number;
  ramAllocationRatio?: number;
  diskAllocationRatio?: number;
}

/**
 * The host's own account of what it has promised (Nova's resource tracker on the compute
 * node): a claim is decided here, from this file, and never from the database, which the
 * host cannot reach. The control plane records a claim after the host granted it, and its
 * record is conditional too, so neither side alone can overcommit the host.
 *
 * Kept in the host's node directory and rewritten atomically after each change, one change at
 * a time: a restarted agent still knows what it promised. Releases leave a fence, so a claim
 * of an attempt the build has already given up arrives too late and is refused, however late.
 */
export class HostLedger {
  private readonly lock = new KeyedMutex();
  private state: LedgerFile | null = null;

  constructor(
    private readonly file: string,
    private readonly host: string,
    private readonly capacity: HostCapacityFigures,
    private readonly now: () => number = Date.now,
  ) {}

  /** Grants the claim or refuses it (HostRefused). Idempotent per instance and attempt. */
  async claim(instanceId: string, req: ResourceRequest, attemptNo?: number): Promise<void> {
    await this.change((s) => {
      const fence = s.fences[instanceId]?.attemptNo;
      if (attemptNo !== undefined && fence !== undefined && fence >= attemptNo) {
        throw this.refused(`refused a late claim: attempt ${attemptNo} of this build was already released`);
      }
      const existing = s.claims[instanceId];
      if (existing) {
        if (attemptNo !== undefined && existing.attemptNo !== null && existing.attemptNo > attemptNo) {
          throw this.refused(`refused a late claim: attempt ${existing.attemptNo} of this build holds one`);
        }
        existing.attemptNo = attemptNo ?? existing.attemptNo;
        return;
      }
      const lacks = shortfalls(this.usageRow(s), req);
      if (lacks.length > 0) throw this.refused(`lacks ${lacks.join(', ')}`);
      const { vcpus, ramMb, diskGb } = req;
      s.claims[instanceId] = { vcpus, ramMb, diskGb, attemptNo: attemptNo ?? null, claimedAt: this.now() };
    });
  }

  /**
   * Gives the claim back; releasing twice is harmless. With `attemptNo`, only a claim of that
   * attempt or an earlier one, and that attempt is fenced; without, any claim, and every
   * attempt is fenced (the instance is being deleted).
   */
  async release(instanceId: string, attemptNo?: number): Promise<void> {
    await this.change((s) => {
      const fence = Math.max(attemptNo ?? FENCE_ALL, s.fences[instanceId]?.attemptNo ?? 0);
      s.fences[instanceId] = { attemptNo: fence, at: this.now() };
      const claim = s.claims[instanceId];
      if (claim && (claim.attemptNo === null || claim.attemptNo <= fence)) delete s.claims[instanceId];
    });
  }

  /**
   * Brings the ledger in line with the claims the control plane has recorded here. A recorded
   * claim the ledger lacks is taken in (a ledger lost with its disk, or kept before the host
   * had one), unless fenced: released meanwhile. A claim the control plane never recorded is
   * dropped once older than `graceMs`: its build went elsewhere while this host was away (a
   * frozen agent's late claim), or its record is still on the way while younger.
   */
  async reconcile(recorded: RecordedClaim[], graceMs: number): Promise<{ added: string[]; dropped: string[] }> {
    const added: string[] = [];
    const dropped: string[] = [];
    await this.change((s) => {
      const known = new Set(recorded.map((c) => c.instanceId));
      for (const c of recorded) {
        const fence = s.fences[c.instanceId]?.attemptNo;
        if (s.claims[c.instanceId] || (fence !== undefined && (c.attemptNo === null || fence >= c.attemptNo))) continue;
        const { vcpus, ramMb, diskGb, attemptNo } = c;
        s.claims[c.instanceId] = { vcpus, ramMb, diskGb, attemptNo, claimedAt: this.now() };
        added.push(c.instanceId);
      }
      for (const [id, claim] of Object.entries(s.claims)) {
        if (known.has(id) || this.now() - claim.claimedAt < graceMs) continue;
        delete s.claims[id];
        dropped.push(id);
      }
      for (const [id, fence] of Object.entries(s.fences)) {
        if (this.now() - fence.at > FENCE_KEEP_MS) delete s.fences[id];
      }
    });
    return { added, dropped };
  }

  /** What is promised now, per resource, and to which instances. */
  async usage(): Promise<ResourceRequest & { instances: string[] }> {
    const s = await this.load();
    const used = this.usageRow(s);
    const instances = Object.keys(s.claims);
    return { vcpus: used.vcpus_used, ramMb: used.ram_mb_used, diskGb: used.disk_gb_used, instances };
  }

  private refused(why: string): DomainError {
    return new DomainError(FaultCodes.HostRefused, `host ${this.host} ${why}`, { host: this.host });
  }

  private usageRow(s: LedgerFile): HostUsageRow {
    const c = this.capacity;
    const row: HostUsageRow = {
      vcpus: c.vcpus,
      cpu_allocation_ratio: c.cpuAllocationRatio ?? DEFAULT_ALLOCATION_RATIOS.vcpus,
      vcpus_used: 0,
      ram_mb: c.ramMb,
      ram_allocation_ratio: c.ramAllocationRatio ?? DEFAULT_ALLOCATION_RATIOS.ramMb,
      ram_mb_used: 0,
      disk_gb: c.diskGb,
      disk_allocation_ratio: c.diskAllocationRatio ?? DEFAULT_ALLOCATION_RATIOS.diskGb,
      disk_gb_used: 0,
    };
    for (const claim of Object.values(s.claims)) {
      for (const r of RESOURCES) row[r.used] += claim[r.asked];
    }
    return row;
  }

  /** One change at a time, written out before the next one starts (or the caller hears of it). */
  private change(apply: (s: LedgerFile) => void): Promise<void> {
    return this.lock.run('ledger', async () => {
      const s = await this.load();
      const before = JSON.stringify(s);
      try {
        apply(s);
      } catch (err) {
        this.state = JSON.parse(before) as LedgerFile;
        throw err;
      }
      if (JSON.stringify(s) !== before) await this.save(s, before);
    });
  }

  private async save(s: LedgerFile, before: string): Promise<void> {
    try {
      await writeJsonAtomic(this.file, s);
    } catch (err) {
      // Not written: not promised. The next change starts from what the file still says.
      this.state = JSON.parse(before) as LedgerFile;
      throw err;
    }
  }

  private async load(): Promise<LedgerFile> {
    if (this.state) return this.state;
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as Partial<LedgerFile>;
      this.state = { claims: parsed.claims ?? {}, fences: parsed.fences ?? {} };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.state = { claims: {}, fences: {} };
    }
    return this.state;
  }
}
