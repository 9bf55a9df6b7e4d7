/**
 * Finding 15 of the hardening issue: a compute host decides its claims from its own ledger,
 * never the database. Exactly the room of the host, atomic under concurrent claims, fenced
 * like the control plane's record, kept across restarts, and brought in line with what the
 * control plane recorded.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createComputeActivities, type ComputeDeps } from '../../activities/compute.js';
import type { FailureInjector } from '../../core/hypervisor/failure-injector.js';
import { HostLedger } from '../../core/scheduling/host-ledger.js';
import { domainError } from '../support/domain-error.js';
import { useTempDir } from '../support/temp-dir.js';

let dir = '';
useTempDir('host-ledger-', (made) => (dir = made));
const SMALL = { vcpus: 1, ramMb: 2048, diskGb: 20 };
const CAPACITY = { vcpus: 2, ramMb: 8192, diskGb: 100 };

function ledgerAt(file = path.join(dir, `${randomUUID()}.json`), now: () => number = Date.now): HostLedger {
  return new HostLedger(file, 'node-9', CAPACITY, now);
}

describe('host ledger', () => {
  it('grants exactly the room capacity × allocation ratio allows, and says what is lacking', async () => {
    const ledger = ledgerAt();
    for (let i = 0; i < 4; i++) await ledger.claim(randomUUID(), SMALL, 1);
    await assert.rejects(
      ledger.claim(randomUUID(), SMALL, 1),
      domainError('HostRefused', /^host node-9 lacks RAM \(0 MB free, 2048 MB asked\)$/),
    );
    // vCPUs are overcommitted 4× by default: 2 vCPUs hold 8 one-vCPU claims' worth.
    await ledger.claim(randomUUID(), { vcpus: 4, ramMb: 0, diskGb: 0 }, 1);
    const { vcpus, ramMb, diskGb } = await ledger.usage();
    assert.deepEqual({ vcpus, ramMb, diskGb }, { vcpus: 8, ramMb: 8192, diskGb: 80 });
  });

  it('is atomic under concurrent claims: 10 at once on room for 4 grant 4', async () => {
    const ledger = ledgerAt();
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => ledger.claim(randomUUID(), SMALL, 1)));
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 4);
    assert.equal((await ledger.usage()).ramMb, 8192);
  });

  it('a claim is idempotent per instance, and a release gives its room back (twice is harmless)', async () => {
    const ledger = ledgerAt();
    const id = randomUUID();
    await ledger.claim(id, SMALL, 1);
    await ledger.claim(id, SMALL, 1);
    assert.equal((await ledger.usage()).ramMb, 2048);
    await ledger.release(id, 1);
    await ledger.release(id, 1);
    assert.equal((await ledger.usage()).ramMb, 0);
  });

  it('a released attempt is fenced: its late claim is refused, a later attempt is not', async () => {
    const ledger = ledgerAt();
    const id = randomUUID();
    await ledger.release(id, 1);
    await assert.rejects(ledger.claim(id, SMALL, 1), domainError('HostRefused', /late claim: attempt 1 .* released/));
    await ledger.claim(id, SMALL, 2);
    await ledger.release(id, 1);
    assert.equal((await ledger.usage()).ramMb, 2048, 'a late release of attempt 1 leaves attempt 2 its claim');
    await ledger.release(id);
    await assert.rejects(ledger.claim(id, SMALL, 3), domainError('HostRefused', /late claim/));
    assert.equal((await ledger.usage()).ramMb, 0, 'a delete fences every attempt');
  });

  it('survives a restart of its agent: a new ledger on the same file knows the claims and fences', async () => {
    const file = path.join(dir, 'restart.json');
    const [kept, fenced] = [randomUUID(), randomUUID()];
    await ledgerAt(file).claim(kept, SMALL, 1);
    await ledgerAt(file).release(fenced, 1);
    const again = ledgerAt(file);
    assert.deepEqual((await again.usage()).instances, [kept]);
    await assert.rejects(again.claim(fenced, SMALL, 1), domainError('HostRefused', /late claim/));
  });

  it('a change that cannot be written is not promised', async () => {
    const blocker = path.join(dir, 'not-a-dir');
    const ledger = ledgerAt(path.join(blocker, 'ledger.json'));
    assert.equal((await ledger.usage()).ramMb, 0);
    await writeFile(blocker, ''); // the ledger's folder is now a file: no write can succeed
    await assert.rejects(ledger.claim(randomUUID(), SMALL, 1), /ENOTDIR|EEXIST/);
    assert.equal((await ledger.usage()).ramMb, 0);
  });

  it('reconciles with the recorded claims: takes in what it lacks, drops old unrecorded ones', async () => {
    let now = 1_000_000;
    const ledger = ledgerAt(undefined, () => now);
    const [recorded, young, old, released] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await ledger.claim(old, SMALL, 1);
    now += 120_000;
    await ledger.claim(young, SMALL, 1);
    await ledger.release(released, 1);
    const result = await ledger.reconcile(
      [
        { instanceId: recorded, ...SMALL, attemptNo: 2 },
        // Recorded when the control plane was asked, released on the host since: not taken back in.
        { instanceId: released, ...SMALL, attemptNo: 1 },
      ],
      60_000,
    );
    assert.deepEqual(result, { added: [recorded], dropped: [old] });
    assert.deepEqual((await ledger.usage()).instances.sort(), [recorded, young].sort());
  });
});

describe('the claim activity on a host', () => {
  it('a claim delayed past its release on the host commits nothing there', async () => {
    const ledger = ledgerAt();
    let arrive!: () => void;
    const gate = new Promise<void>((resolve) => (arrive = resolve));
    const faults = { before: () => gate } as unknown as FailureInjector;
    const activities = createComputeActivities({ host: 'node-9', ledger, faults } as unknown as ComputeDeps);
    const instanceId = randomUUID();
    const late = new MockActivityEnvironment().run(activities.claimResources.bind(activities), {
      instanceId,
      flavor: { id: 'f', name: 'm1.small', ...SMALL },
      attemptNo: 1,
    });
    await new MockActivityEnvironment().run(activities.releaseHostClaim.bind(activities), { instanceId, attemptNo: 1 });
    arrive();
    await assert.rejects(late, /refused a late claim/);
    assert.equal((await ledger.usage()).ramMb, 0);
  });
});
