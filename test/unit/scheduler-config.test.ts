/** The scheduler's operator settings: validated at boot, so a typo fails before any build. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../core/config.js';

describe('scheduler configuration', () => {
  it('defaults to the spread weigher and leaves the pickup timeout to the workflows', () => {
    const config = loadConfig({});
    assert.equal(config.schedulerWeigher, 'spread');
    assert.equal(config.hostPickupTimeoutSec, undefined);
  });

  it('reads NIMBUS_SCHEDULER_WEIGHER and NIMBUS_HOST_PICKUP_TIMEOUT', () => {
    const config = loadConfig({ NIMBUS_SCHEDULER_WEIGHER: 'pack', NIMBUS_HOST_PICKUP_TIMEOUT: '3' });
    assert.equal(config.schedulerWeigher, 'pack');
    assert.equal(config.hostPickupTimeoutSec, 3);
  });

  it('refuses an unknown weigher and a pickup timeout that is not a positive number', () => {
    assert.throws(
      () => loadConfig({ NIMBUS_SCHEDULER_WEIGHER: 'random' }),
      (err: unknown) => err instanceof ConfigError && /spread, pack/.test(err.message),
    );
    for (const bad of ['0', '-1', 'soon']) {
      assert.throws(() => loadConfig({ NIMBUS_HOST_PICKUP_TIMEOUT: bad }), ConfigError, bad);
    }
  });
});
