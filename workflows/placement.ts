import { ApplicationFailure, CancellationScope, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { ComputeActivities } from '../contracts/activities.js';
import { FaultCodes } from '../contracts/errors.js';
import { MAX_SCHEDULING_ATTEMPTS, type Attempt, type BuildStep, type Fault } from '../contracts/instances.js';
import { ComputeHostKey } from '../contracts/search-attributes.js';
import { computeQueue } from '../contracts/task-queues.js';
import { undo } from './activity-options.js';
import type { Build } from './build.js';
import { StepFailure, attemptOutcome, failureMessage, failureType, isFatal, isHostUnresponsive } from './failures.js';
import { onHost } from './host-steps.js';
import { HOST_LEDGER_PATCH } from './patches.js';
import { scheduler, schedulerUndo } from './proxies.js';
import { DEFERRED } from './saga.js';

/**
 * Places the build: schedule, claim, pull the image and spawn on one host. A failure that
 * belongs to the host releases what the attempt took there and moves to the next host, at
 * most MAX_SCHEDULING_ATTEMPTS times, then NoValidHost with every attempt's reason; a host
 * that did not answer (frozen or dead agent) is marked suspect as it is released. A fatal
 * failure (one no other host would fix) ends the build at once. Returns the host.
 */
export async function placeAndSpawn(build: Build): Promise<string> {
  const { input, instanceId, progress, timing, record } = build;
  const tried: Attempt[] = [];
  const noteAttempt = (attemptNo: number, attempt: Attempt): void => {
    tried[attemptNo - 1] = attempt;
    progress.attempt(attemptNo, attempt);
  };

  for (let attemptNo = 1; attemptNo <= MAX_SCHEDULING_ATTEMPTS; attemptNo++) {
    const choice = await build
      .step('schedule', null, () =>
        scheduler.selectHost({ instanceId, flavor: input.flavor, excludeHosts: tried.map((a) => a.host) }),
      )
      .catch((err: StepFailure) => {
        if (failureType(err.error) !== FaultCodes.NoValidHost) throw err;
        throw noValidHost(tried, failureMessage(err.error), tried.length === 0 ? 'schedule' : 'claim');
      });
    const host = choice.host;
    progress.host(host);
    const run = onHost(host, timing);
    const computeUndo = proxyActivities<ComputeActivities>(undo(computeQueue(host), timing));
    const hostSaga = build.newSaga();
    // Set when the host left a step unanswered: its release then marks it suspect.
    let unresponsive = false;
    try {
      // Fenced by attempt: a claim of this attempt arriving after the release commits nothing.
      hostSaga.add(`releaseClaim(${host})`, () =>
        schedulerUndo.releaseClaim({ instanceId, attemptNo, ...(unresponsive ? { suspectHost: host } : {}) }),
      );
      const ledger = build.has(HOST_LEDGER_PATCH);
      // The host's own ledger, fenced the same way. A host that left the claim unanswered would
      // leave this unanswered too: its ledger drops a claim the control plane never recorded.
      if (ledger) {
        hostSaga.add(`releaseHostClaim(${host})`, () =>
          unresponsive ? Promise.resolve(DEFERRED) : computeUndo.releaseHostClaim({ instanceId, attemptNo }),
        );
      }
      await build.step('claim', host, async () => {
        const flavor = input.flavor;
        await run('claimResources', `claim ${flavor.name} on ${host}`, { instanceId, flavor, attemptNo });
        // The host granted it; the control plane records it, conditionally, as the host's usage.
        if (ledger) await record.recordClaim({ instanceId, host, flavor, attemptNo });
      });
      noteAttempt(attemptNo, { host, outcome: 'claimed', reason: null });
      await record.recordAttempt({ instanceId, attemptNo, attempt: tried[attemptNo - 1] });
      upsertSearchAttributes([{ key: ComputeHostKey, value: host }]);
      await build.step('pull_image', host, () =>
        run('pullImage', `pull image ${input.image.name} to ${host}`, { instanceId, image: input.image }),
      );
      hostSaga.add(`destroyDomain(${host})`, () => computeUndo.destroyDomain({ instanceId }));
      await build.step('spawn', host, () =>
        run('spawnDomain', `spawn ${input.name} on ${host}`, {
          instanceId,
          name: input.name,
          flavor: input.flavor,
          image: input.image,
        }),
      );
      build.saga.adopt(hostSaga);
      return host;
    } catch (err) {
      const inner = err instanceof StepFailure ? err.error : err;
      if (isFatal(inner)) {
        build.saga.adopt(hostSaga);
        throw err;
      }
      unresponsive = isHostUnresponsive(inner);
      noteAttempt(attemptNo, { host, outcome: attemptOutcome(inner), reason: failureMessage(inner) });
      // Not cancellable: a DELETE arriving here must not skip releasing this host below.
      await CancellationScope.nonCancellable(() =>
        record.recordAttempt({ instanceId, attemptNo, attempt: tried[attemptNo - 1] }),
      );
      await hostSaga.compensate();
      progress.host(null);
    }
  }
  throw noValidHost(tried, null, 'claim');
}

/** NoValidHost with every attempt's host and reason, as an operator needs to read it. */
function noValidHost(tried: Attempt[], lastReason: string | null, step: BuildStep): StepFailure {
  const parts = tried.map((a, i) => `attempt ${i + 1} on ${a.host}: ${a.outcome}${a.reason ? ` (${a.reason})` : ''}`);
  if (lastReason) parts.push(lastReason);
  const message = tried.length
    ? `no valid host after ${tried.length} attempt(s): ${parts.join('; ')}`
    : `no valid host: ${lastReason ?? 'no host available'}`;
  const fault: Fault = { code: FaultCodes.NoValidHost, message, step, host: null };
  return new StepFailure(step, null, ApplicationFailure.nonRetryable(message, FaultCodes.NoValidHost, fault));
}
