/**
 * The network node's activities over the fake DHCP driver: a port's reservation lands on its
 * network, a second add is a no-op, removal is by instance across networks (the last
 * reservation takes the network), and reconciliation keeps only what the control plane lists.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { createDhcpActivities } from '../../activities/dhcp.js';
import type { PortInfo } from '../../contracts/network.js';
import { reconcileDhcp } from '../../core/network/dhcp/dhcp-reconcile.js';
import { FakeDhcpDriver } from '../../core/network/dhcp/fake-dhcp-driver.js';

const port = (networkId: string, ip: string, mac: string): PortInfo => ({
  portId: randomUUID(),
  networkId,
  networkName: 'n',
  ip,
  mac,
  segmentation: { type: 'vxlan', id: 5001 },
  deviceName: 'tap0',
  subnet: { cidr: '10.0.0.0/24', gateway: '10.0.0.1' },
});

describe('network node activities (fake DHCP)', () => {
  it('adds idempotently, removes by instance, and the last reservation takes its network', async () => {
    const dhcp = new FakeDhcpDriver();
    const acts = createDhcpActivities({ dhcp });
    const [netA, netB, instanceId] = [randomUUID(), randomUUID(), randomUUID()];
    const pa = port(netA, '10.0.0.5', 'fa:16:3e:00:00:01');
    await acts.addDhcpReservation({ instanceId, port: pa });
    await acts.addDhcpReservation({ instanceId, port: pa });
    await acts.addDhcpReservation({ instanceId, port: port(netB, '10.0.0.6', 'fa:16:3e:00:00:02') });
    const other = randomUUID();
    await acts.addDhcpReservation({ instanceId: other, port: port(netA, '10.0.0.7', 'fa:16:3e:00:00:03') });
    const served = await dhcp.listNetworks();
    assert.deepEqual(
      served.map((s) => [s.network.networkId, s.reservations.length]).sort(),
      [
        [netA, 2],
        [netB, 1],
      ].sort(),
    );
    assert.deepEqual(served.find((s) => s.network.networkId === netA)!.network.gateway, '10.0.0.1');

    await acts.removeDhcpReservation({ instanceId });
    await acts.removeDhcpReservation({ instanceId });
    const left = await dhcp.listNetworks();
    assert.deepEqual(
      left.map((s) => s.network.networkId),
      [netA],
    );
    assert.deepEqual(
      left[0].reservations.map((r) => r.instanceId),
      [other],
    );
  });

  it('refuses a port without its subnet for good (a port recorded before the network node)', async () => {
    const acts = createDhcpActivities({ dhcp: new FakeDhcpDriver() });
    const { subnet: _subnet, ...old } = port(randomUUID(), '10.0.0.5', 'fa:16:3e:00:00:01');
    const err = await acts.addDhcpReservation({ instanceId: randomUUID(), port: old }).catch((e: unknown) => e);
    assert.ok(err instanceof ApplicationFailure && err.nonRetryable, String(err));
  });

  it('reconciles: leftovers go, wanted reservations are applied', async () => {
    const dhcp = new FakeDhcpDriver();
    const net = (id: string) => ({
      networkId: id,
      cidr: '10.0.0.0/24',
      gateway: '10.0.0.1',
      segmentation: { type: 'vxlan' as const, id: 1 },
    });
    const r = (ip: string) => ({
      portId: randomUUID(),
      instanceId: randomUUID(),
      mac: `fa:16:3e:00:00:${ip.slice(-2)}`,
      ip,
    });
    const [gone, kept] = [randomUUID(), randomUUID()];
    const [stale, live] = [r('10.0.0.10'), r('10.0.0.11')];
    await dhcp.addReservation(net(gone), r('10.0.0.12'));
    await dhcp.addReservation(net(kept), stale);
    await dhcp.addReservation(net(kept), live);
    const missing = r('10.0.0.13');
    const report = await reconcileDhcp(dhcp, [{ network: net(kept), reservations: [live, missing] }]);
    assert.deepEqual(report, { removedNetworks: [gone], removedReservations: [`${kept}/${stale.portId}`], applied: 2 });
    const [only] = await dhcp.listNetworks();
    assert.deepEqual(only.reservations.map((x) => x.ip).sort(), ['10.0.0.11', '10.0.0.13']);
  });
});
