import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../core/config.js';
import { DomainError } from '../../core/errors.js';
import { createHypervisorDriver, UnknownHypervisor } from '../../core/hypervisor/driver-factory.js';
import { InjectedFailure, InMemoryFailureInjector } from '../../core/hypervisor/failure-injector.js';

let nodeDir: string;
before(async () => {
  nodeDir = await mkdtemp(path.join(tmpdir(), 'nimbus-factory-'));
});
after(async () => {
  await rm(nodeDir, { recursive: true, force: true });
});

describe('hypervisor driver factory', () => {
  it('NIMBUS_HYPERVISOR defaults to fake, accepts qemu and refuses a driver this build does not have', () => {
    assert.equal(loadConfig({}).hypervisor, 'fake');
    assert.equal(loadConfig({ NIMBUS_HYPERVISOR: 'fake' }).hypervisor, 'fake');
    assert.equal(loadConfig({ NIMBUS_HYPERVISOR: 'qemu' }).hypervisor, 'qemu');
    assert.throws(
      () => loadConfig({ NIMBUS_HYPERVISOR: 'xen' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /NIMBUS_HYPERVISOR=xen must be one of fake, qemu/);
        return true;
      },
    );
  });

  it('refuses an unknown driver type', () => {
    assert.throws(
      () => createHypervisorDriver({ type: 'vmware', nodeDir }),
      (err: unknown) => err instanceof DomainError && err.code === UnknownHypervisor,
    );
  });

  it("gives the fake the seeds' capacity by default, or the one it is configured with", async () => {
    const driver = createHypervisorDriver({ type: 'fake', nodeDir });
    await driver.initHost();
    assert.deepEqual(await driver.getHostResources(), { vcpus: 8, ramMb: 16384, diskGb: 160, hypervisorType: 'fake' });
    const big = createHypervisorDriver({ type: 'fake', nodeDir, fakeResources: { diskGb: 1000 } });
    assert.equal((await big.getHostResources()).diskGb, 1000);
  });

  it('wraps the driver in fault injection (host set-up and reads are never faulted)', async () => {
    const faults = new InMemoryFailureInjector([{ step: 'destroy', mode: 'error', times: 1 }]);
    const driver = createHypervisorDriver({ type: 'fake', nodeDir, faults });
    await driver.initHost();
    await driver.listDomains();
    await assert.rejects(driver.destroy('inst-1'), InjectedFailure);
    await driver.destroy('inst-1');
  });
});
