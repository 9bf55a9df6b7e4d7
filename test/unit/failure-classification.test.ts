/**
 * Activities classify failures by their code and nothing else (activities/failures.ts):
 * only codes contracts/errors.ts lists as permanent stop the retries. A lost database
 * (refused connection, PostgreSQL shutting down) is retried, so an undo that meets a
 * database restart finishes instead of leaking; driver codes reach users as HostStepFailed.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pg from 'pg';
import { QueryFailedError } from 'typeorm';
import { toApplicationFailure } from '../../activities/failures.js';
import { createSchedulerActivities } from '../../activities/scheduler.js';
import { DriverCodes, FaultCodes, RETRY, isPermanent } from '../../contracts/errors.js';
import { DomainError, NotFoundError } from '../../core/errors.js';
import { DomainNotFoundError, ImageNotCachedError } from '../../core/hypervisor/errors.js';
import { ImageDownloadError } from '../../core/images/errors.js';
import type { ClaimService } from '../../core/scheduling/claims.js';
import type { HostSelector } from '../../core/scheduling/host-selector.js';

/** What connecting to a stopped PostgreSQL throws: a real ECONNREFUSED from the pg client. */
async function refusedConnection(): Promise<Error> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'nimbus', database: 'nimbus' });
  return client.connect().then(
    () => assert.fail('nothing listens there'),
    (err: Error) => err,
  );
}

/** PostgreSQL's "terminating connection due to administrator command" (a restart), as pg reports it. */
function adminShutdown(): pg.DatabaseError {
  const err = new pg.DatabaseError('terminating connection due to administrator command', 0, 'error');
  err.code = '57P01';
  return err;
}

/** A scheduler activity whose claim service meets `err` (the release undo of every build). */
async function releaseClaimMeeting(err: unknown): Promise<unknown> {
  const claims = { release: () => Promise.reject(err) } as unknown as ClaimService;
  const activities = createSchedulerActivities({
    claims,
    selector: {} as HostSelector,
    hosts: { markSuspect: async () => {} },
  });
  return new MockActivityEnvironment().run(activities.releaseClaim.bind(activities), { instanceId: 'i-1' }).then(
    () => assert.fail('the release should fail'),
    (thrown: unknown) => thrown,
  );
}

function assertRetried(thrown: unknown): void {
  assert.ok(!(thrown instanceof ApplicationFailure && thrown.nonRetryable), `retryable: ${String(thrown)}`);
}

describe('failure classification', () => {
  it('retries an undo that finds PostgreSQL refusing connections (ECONNREFUSED)', async () => {
    const refused = await refusedConnection();
    assert.equal((refused as { code?: string }).code, 'ECONNREFUSED');
    assertRetried(await releaseClaimMeeting(refused));
  });

  it('retries an undo whose connection PostgreSQL closed for a restart (57P01, 08006)', async () => {
    assertRetried(await releaseClaimMeeting(adminShutdown()));
    assertRetried(await releaseClaimMeeting(new QueryFailedError('DELETE FROM claims', [], adminShutdown())));
    const lost = Object.assign(new Error('connection failure during authentication'), { code: '08006' });
    assertRetried(toApplicationFailure(lost));
  });

  it('retries lost connections, timeouts and a full disk, whatever their code looks like', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOSPC', 'EPIPE']) {
      assertRetried(toApplicationFailure(Object.assign(new Error(code), { code })));
    }
    assertRetried(toApplicationFailure(new Error('a bug in a library')));
  });

  it('fails at once on a permanent code, keeping its type and details', async () => {
    const refused = new DomainError(FaultCodes.HostRefused, 'host node-1 lacks vCPU', { host: 'node-1' });
    const thrown = await releaseClaimMeeting(refused);
    assert.ok(thrown instanceof ApplicationFailure);
    assert.equal(thrown.type, FaultCodes.HostRefused);
    assert.equal(thrown.nonRetryable, true);
    assert.deepEqual(thrown.details, [{ host: 'node-1' }]);
    const notFound = toApplicationFailure(new NotFoundError('network', 'n9'));
    assert.ok(notFound instanceof ApplicationFailure && notFound.nonRetryable && notFound.type === 'NotFound');
  });

  it('retries the codes of the vocabulary that are not permanent', () => {
    const download = toApplicationFailure(new ImageDownloadError('connection reset', 1024));
    assert.ok(download instanceof ApplicationFailure);
    assert.equal(download.type, FaultCodes.ImageDownloadFailed);
    assert.equal(download.nonRetryable, false);
    // The table decides, never the throw site.
    assert.equal(new DomainError(FaultCodes.QuotaExceeded, 'over quota').retryable, false);
    assert.equal(new DomainError(FaultCodes.InternalError, 'no free MAC').retryable, true);
  });

  it('reports driver codes as HostStepFailed with the driver code in message and details', () => {
    for (const err of [new DomainNotFoundError('i-1'), new ImageNotCachedError('/cache/abc')]) {
      const failure = toApplicationFailure(err);
      assert.ok(failure instanceof ApplicationFailure);
      assert.equal(failure.type, FaultCodes.HostStepFailed);
      assert.equal(failure.nonRetryable, true);
      assert.match(failure.message, new RegExp(`^${err.code}: `));
      assert.equal((failure.details?.[0] as { driverCode?: string }).driverCode, err.code);
    }
  });

  it('lists every driver code in the retry table and nothing non-permanent but what should retry', () => {
    for (const code of Object.values(DriverCodes)) assert.ok(code in RETRY, code);
    const retried = Object.entries(RETRY)
      .filter(([, r]) => r === 'retryable')
      .map(([code]) => code);
    assert.deepEqual(retried.sort(), [
      'HostNetworkFailed',
      'ImageDownloadFailed',
      'InternalError',
      'IscsiTargetFailed',
    ]);
    assert.equal(isPermanent('ECONNREFUSED'), false);
    assert.equal(isPermanent('57P01'), false);
  });
});
