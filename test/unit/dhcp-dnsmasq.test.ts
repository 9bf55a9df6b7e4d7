/**
 * The network node's DHCP on real namespaces: a fake guest's own DHCP client (busybox
 * udhcpc) gets exactly its reserved address, an unknown MAC gets nothing, another network's
 * dnsmasq never answers, the gateway answers ping, and removal leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { DhcpNetwork } from '../../core/network/dhcp/dhcp-driver.js';
import { qdhcpNamespace } from '../../core/network/dhcp/dhcp-names.js';
import { reconcileDhcp, removeInstanceReservations } from '../../core/network/dhcp/dhcp-reconcile.js';
import { runningDnsmasq, dnsmasqFiles } from '../../core/network/dhcp/dnsmasq.js';
import { LinuxDhcpDriver, type DhcpSegments } from '../../core/network/dhcp/linux-dhcp-driver.js';
import { dhcpSkip, fakeGuest, ipn, sh, suffix, type FakeGuest } from '../support/dhcp-guests.js';
import { useTempDir } from '../support/temp-dir.js';

const skip = dhcpSkip();

/** A process that is neither gone nor a zombie waiting for its reaper. */
const alive = (pid: number) => existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8') !== '';

describe('DHCP from dnsmasq in qdhcp namespaces', { skip }, () => {
  const nodeNs = `nimbus-tdhcp-${suffix()}`;
  let stateDir: string;
  let driver: LinuxDhcpDriver;
  const guests: FakeGuest[] = [];
  const bridgeOf = (n: DhcpNetwork) => 'brq' + n.networkId.slice(0, 11);
  // The segment is a plain bridge here: the VXLAN under it is the VIF tests' business.
  const segments: DhcpSegments = {
    async ensure(n) {
      const bridge = bridgeOf(n);
      await ipn(nodeNs, 'link', 'add', bridge, 'type', 'bridge').catch(() => undefined);
      await ipn(nodeNs, 'link', 'set', bridge, 'up');
      return { bridge };
    },
    async remove(n) {
      await ipn(nodeNs, 'link', 'del', bridgeOf(n)).catch(() => undefined);
    },
  };
  const net = (cidr: string, gateway: string): DhcpNetwork => ({
    networkId: randomUUID(),
    cidr,
    gateway,
    segmentation: { type: 'vxlan', id: 5000 },
  });
  const a = net('10.77.1.0/28', '10.77.1.1');
  const b = net('10.77.1.0/28', '10.77.1.1'); // the same subnet: only the segment tells them apart
  const reservation = (mac: string, ip: string) => ({ portId: randomUUID(), instanceId: randomUUID(), mac, ip });
  const guest = async (n: DhcpNetwork, mac: string) => {
    const g = await fakeGuest(nodeNs, bridgeOf(n), mac, stateDir);
    guests.push(g);
    return g;
  };

  before(() => sh('ip', ['netns', 'add', nodeNs]));
  // Registered before the temp dir's: the networks go while their pid files are still there.
  after(async () => {
    for (const g of guests) await g.remove();
    for (const s of await driver.listNetworks()) await driver.removeNetwork(s.network.networkId);
    await sh('ip', ['netns', 'del', nodeNs]).catch(() => undefined);
  });
  useTempDir('nimbus-dhcp-', (dir) => {
    stateDir = dir;
    driver = new LinuxDhcpDriver({ stateDir, netns: nodeNs, segments });
  });

  it('gives a guest exactly its reserved address, with the gateway as router, and nothing to a stranger', async () => {
    const t0 = performance.now();
    await driver.addReservation(a, reservation('fa:16:3e:00:00:0a', '10.77.1.5'));
    const served = performance.now() - t0;
    const g = await guest(a, 'fa:16:3e:00:00:0a');
    const t1 = performance.now();
    assert.deepEqual(await g.dhcp(), { ip: '10.77.1.5', router: '10.77.1.1' });
    const leased = performance.now() - t1;
    console.log(`qdhcp namespace + dnsmasq: ${served.toFixed(0)} ms; udhcpc lease: ${leased.toFixed(0)} ms`);

    const stranger = await guest(a, 'fa:16:3e:00:00:99');
    assert.equal(await stranger.dhcp(), null);
  });

  it('answers ping on the gateway address from inside the segment', async () => {
    const g = guests[0];
    await ipn(g.netns, 'addr', 'add', '10.77.1.5/28', 'dev', 'eth0');
    await sh('ip', ['netns', 'exec', g.netns, 'busybox', 'ping', '-c', '1', '-W', '2', '10.77.1.1']);
    // And the qdhcp namespace reaches the guest, as the e2e test checks for instances.
    const qdhcp = qdhcpNamespace(a.networkId);
    await sh('ip', ['netns', 'exec', qdhcp, 'busybox', 'ping', '-c', '1', '-W', '2', '10.77.1.5']);
  });

  it("never answers from another network's dnsmasq", async () => {
    // A MAC reserved only on a, plugged into b's segment, gets nothing: a's dnsmasq is out of
    // reach and b's has no reservation for it. b's own port gets b's address.
    await driver.addReservation(b, reservation('fa:16:3e:00:00:0b', '10.77.1.9'));
    const onB = await guest(b, 'fa:16:3e:00:00:0a');
    assert.equal(await onB.dhcp(), null);
    const own = await guest(b, 'fa:16:3e:00:00:0b');
    assert.deepEqual(await own.dhcp(), { ip: '10.77.1.9', router: '10.77.1.1' });
  });

  it('reloads on a new reservation and forgets a removed one', async () => {
    const r = reservation('fa:16:3e:00:00:0c', '10.77.1.6');
    await driver.addReservation(a, r);
    await driver.addReservation(a, r); // idempotent
    const g = await guest(a, 'fa:16:3e:00:00:0c');
    assert.deepEqual(await g.dhcp(), { ip: '10.77.1.6', router: '10.77.1.1' });
    await removeInstanceReservations(driver, r.instanceId);
    assert.equal(await g.dhcp(), null);
  });

  it('reconciles with the wanted ports and leaves no namespace, process or file of a removed network', async () => {
    const [servedA] = (await driver.listNetworks()).filter((s) => s.network.networkId === a.networkId);
    const pidB = await runningDnsmasq(dnsmasqFiles(stateDir, b.networkId).pidFile);
    assert.ok(pidB);
    const report = await reconcileDhcp(driver, [servedA]);
    assert.deepEqual(report.removedNetworks, [b.networkId]);
    assert.equal(existsSync(`/run/netns/${qdhcpNamespace(b.networkId)}`), false);
    assert.equal(alive(pidB), false);
    assert.deepEqual(await readdir(stateDir).then((f) => f.filter((n) => n === b.networkId)), []);

    const pidA = await runningDnsmasq(dnsmasqFiles(stateDir, a.networkId).pidFile);
    for (const r of servedA.reservations) await driver.removeReservation(a.networkId, r.portId);
    assert.equal(existsSync(`/run/netns/${qdhcpNamespace(a.networkId)}`), false);
    assert.equal(alive(pidA!), false);
    assert.deepEqual(
      (await readdir(stateDir)).filter((f) => !f.startsWith('udhcpc-')),
      [],
    );
    assert.equal((await ipn(nodeNs, 'link', 'show')).includes('dhc'), false);
  });
});
