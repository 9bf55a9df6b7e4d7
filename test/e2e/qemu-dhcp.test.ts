/**
 * The network node's DHCP with a real guest (one QEMU host; the stack's network node is a
 * machine of its own on the fabric, devstack/fabric.ts):
 *
 * - The guest's own DHCP client got exactly the address the API shows on its tenant NIC,
 *   from dnsmasq in `qdhcp-<network id>`, and the subnet's gateway (held by that namespace)
 *   answers the guest's ping.
 * - `ip netns exec qdhcp-<network id> ping <instance ip>` answers for the ACTIVE instance and
 *   stops after its DELETE; the network's last port takes the namespace and dnsmasq with it.
 * - A restarted network node reconciles: a network it served that the control plane does
 *   not know (a leftover made while it was down) is removed, the live reservation kept.
 * Needs the linuxbridge VIF driver (guests on real taps). Without qemu-system-x86_64 this
 * skips, except under CI=true where it fails.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { dhcpStateDir } from '../../core/config.js';
import { qdhcpNamespace } from '../../core/network/dhcp/dhcp-names.js';
import { LinuxDhcpDriver, readServedNetworks } from '../../core/network/dhcp/linux-dhcp-driver.js';
import { listNetns, ipRunner } from '../../core/network/linux/ip.js';
import { ensureSegment, removeSegment } from '../../core/network/linux/segment.js';
import { deleteAndWait, waitSettled } from '../support/fault-cases.js';
import { waitUntilClean } from '../support/invariants.js';
import { guestGet, qemuSkip, uploadGuestImage, useQemuStack } from '../support/qemu-guests.js';

const exec = promisify(execFile);
const IMAGE = 'nimbus-guest';

interface GuestInfo {
  addresses: Array<{ interface: string; address: string }>;
}

/** One ping from inside the network's qdhcp namespace: true when the address answered. */
async function pingFromQdhcp(networkId: string, ip: string): Promise<boolean> {
  const args = ['netns', 'exec', qdhcpNamespace(networkId), 'busybox', 'ping', '-c', '1', '-W', '2', ip];
  return exec('ip', args).then(
    () => true,
    () => false,
  );
}

describe("the network node's DHCP serves real guests", { skip: qemuSkip }, () => {
  const { stack, db, guests } = useQemuStack(['node-1'], { NIMBUS_HOST_STEP_TIMEOUT: '60' });
  before(() => uploadGuestImage(stack, IMAGE));

  /** An ACTIVE instance on `default` with its API address, network and eth1 address as the guest has it. */
  async function boot(name: string) {
    const res = await stack.api('POST', '/v1/instances', { name, flavor: 'm1.tiny', image: IMAGE, network: 'default' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id: string = res.body.id;
    guests.push(id);
    const started = Date.now();
    const inst = await waitSettled(stack, id, 180_000);
    assert.equal(inst.status, 'ACTIVE', JSON.stringify(inst));
    const [port] = (await stack.api('GET', `/v1/ports?instance=${id}`)).body;
    const apiIp: string = port.ip;
    // The guest's DHCP client may still be retrying when the build ends: wait for its lease.
    const info = await stack.waitFor(
      async () => {
        const got = await guestGet<GuestInfo>(stack, inst.host!, id, '/nimbus/info/');
        return got?.addresses.find((a) => a.interface === 'eth1' && !a.address.startsWith('169.254.')) ?? null;
      },
      60_000,
      `${name}'s DHCP lease on eth1`,
    );
    console.log(`# ${name}: POST -> ACTIVE and leased in ${Date.now() - started} ms`);
    return { id, host: inst.host!, networkId: port.networkId as string, apiIp, guestIp: info.address.split('/')[0] };
  }

  it('gives the guest its API address, answers from qdhcp while ACTIVE, and stops after DELETE', async () => {
    const g = await boot('dhcp-1');
    assert.equal(g.guestIp, g.apiIp, "the guest's own DHCP client got the API's address");
    assert.ok(await pingFromQdhcp(g.networkId, g.apiIp), `qdhcp-${g.networkId} reaches ${g.apiIp}`);

    const [served] = (await readServedNetworks(dhcpStateDir(stack.config))).filter(
      (s) => s.network.networkId === g.networkId,
    );
    const gateway = served.network.gateway;
    const toGateway = await guestGet<{ reachable: boolean; output: string }>(
      stack,
      g.host,
      g.id,
      `/nimbus/ping/?addr=${gateway}`,
    );
    assert.ok(toGateway?.reachable, `the gateway ${gateway} answers the guest: ${toGateway?.output}`);

    await deleteAndWait(stack, g.id);
    assert.equal(await pingFromQdhcp(g.networkId, g.apiIp), false, 'a deleted instance answers no more');
    assert.ok(!(await listNetns()).includes(qdhcpNamespace(g.networkId)), 'the last port took qdhcp with it');
    await waitUntilClean(stack, db);
  });

  it('a restarted network node removes what the control plane does not know and keeps the rest', async () => {
    const g = await boot('dhcp-2');
    await stack.supervisor.killChild('network-node');
    // A leftover as a crash would leave it: a network served on the node that IPAM never had.
    const ip = ipRunner(`${stack.config.netnsPrefix}network`);
    const leftover = new LinuxDhcpDriver({
      stateDir: dhcpStateDir(stack.config),
      netns: ip.netns!,
      segments: {
        ensure: (n) => ensureSegment(ip, { networkId: n.networkId, segmentation: n.segmentation, uplink: 'uplink' }),
        remove: (n) => removeSegment(ip, n.networkId),
      },
    });
    const ghost = { networkId: randomUUID(), cidr: '10.99.0.0/28', gateway: '10.99.0.1' };
    await leftover.addReservation(
      { ...ghost, segmentation: { type: 'vxlan', id: 9999 } },
      { portId: randomUUID(), instanceId: randomUUID(), mac: 'fa:16:3e:99:99:99', ip: '10.99.0.5' },
    );
    assert.ok((await listNetns()).includes(qdhcpNamespace(ghost.networkId)));

    stack.supervisor.startChild('network-node');
    await stack.waitFor(
      async () => !(await listNetns()).includes(qdhcpNamespace(ghost.networkId)),
      60_000,
      'the leftover qdhcp namespace removed by reconciliation',
    );
    assert.ok(await pingFromQdhcp(g.networkId, g.apiIp), 'the live reservation survived the restart');
    await deleteAndWait(stack, g.id);
    await waitUntilClean(stack, db);
  });
});
