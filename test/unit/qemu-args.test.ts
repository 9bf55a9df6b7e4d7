import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guestCmdline, hostnameOf, qemuArgs, type QemuLaunch } from '../../core/hypervisor/qemu/qemu-args.js';
import { InstanceFiles, isInstanceUuid } from '../../core/hypervisor/qemu/instance-files.js';

const id = '6f1d2c3b-aaaa-4bbb-8ccc-123456789abc';
const launch: QemuLaunch = {
  instanceId: id,
  name: 'web,1',
  vcpus: 2,
  ramMb: 512,
  accel: 'tcg',
  pidfile: '/n/qemu.pid',
  qmpSocket: '/t/qmp.sock',
  consoleLog: '/n/console.log',
  overlay: '/n/disk.qcow2',
};

/** The value after a flag, for every occurrence. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));
}

describe('QEMU command line', () => {
  it('runs one daemonized QEMU per instance with its uuid, pidfile, QMP socket and console file', () => {
    const args = qemuArgs(launch);
    assert.deepEqual(values(args, '-uuid'), [id]);
    assert.deepEqual(values(args, '-pidfile'), ['/n/qemu.pid']);
    assert.ok(args.includes('-daemonize'));
    assert.deepEqual(values(args, '-qmp'), ['unix:/t/qmp.sock,server=on,wait=off']);
    assert.deepEqual(values(args, '-serial'), ['chardev:console']);
    assert.deepEqual(values(args, '-chardev'), ['file,id=console,path=/n/console.log,append=on']);
    assert.deepEqual(values(args, '-smp'), ['2']);
    assert.deepEqual(values(args, '-m'), ['512']);
    assert.ok(values(args, '-name')[0].startsWith('guest=web,,1,'), 'commas in the name are escaped');
    const root = JSON.parse(values(args, '-blockdev')[0]);
    assert.deepEqual(root, {
      driver: 'qcow2',
      'node-name': 'root',
      file: { driver: 'file', filename: '/n/disk.qcow2' },
    });
  });

  it('uses -cpu max with TCG and -cpu host only with KVM', () => {
    assert.deepEqual(values(qemuArgs(launch), '-cpu'), ['max']);
    assert.deepEqual(values(qemuArgs(launch), '-accel'), ['tcg,tb-size=32']);
    const kvm = qemuArgs({ ...launch, accel: 'kvm' });
    assert.deepEqual(values(kvm, '-cpu'), ['host']);
    assert.deepEqual(values(kvm, '-accel'), ['kvm']);
  });

  it('boots a kernel bundle with qboot, and anything else from its disk through the BIOS', () => {
    const boot = { kernel: '/b/vmlinux', initrd: '/b/initrd.gz', cmdline: 'console=ttyS0' };
    const args = qemuArgs({ ...launch, boot });
    assert.deepEqual(values(args, '-bios'), ['/usr/share/qemu/qboot.rom']);
    assert.deepEqual(values(args, '-kernel'), ['/b/vmlinux']);
    assert.deepEqual(values(args, '-initrd'), ['/b/initrd.gz']);
    assert.deepEqual(values(args, '-append'), ['console=ttyS0']);
    const disk = qemuArgs(launch);
    assert.deepEqual(values(disk, '-bios'), []);
    assert.match(values(disk, '-device')[0], /bootindex=1/);
  });

  it('forwards the guest port 80 to loopback only when user networking is asked for', () => {
    assert.deepEqual(values(qemuArgs(launch), '-netdev'), []);
    const args = qemuArgs({ ...launch, httpForwardPort: 40123 });
    assert.deepEqual(values(args, '-netdev'), ['user,id=mgmt,hostfwd=tcp:127.0.0.1:40123-:80']);
  });

  it("puts the ports' NICs known at launch after the management NIC, on their tap when the host has one", () => {
    const nics = [
      { deviceId: 'nic-a', netdevId: 'net-a', mac: 'fa:16:3e:00:00:01', tap: 'tapa' },
      { deviceId: 'nic-b', netdevId: 'net-b', mac: 'fa:16:3e:00:00:02', tap: null },
    ];
    const args = qemuArgs({ ...launch, httpForwardPort: 40123, nics });
    assert.deepEqual(values(args, '-netdev'), [
      'user,id=mgmt,hostfwd=tcp:127.0.0.1:40123-:80',
      'tap,id=net-a,ifname=tapa,script=no,downscript=no',
    ]);
    assert.deepEqual(values(args, '-device').slice(-3), [
      'virtio-net-pci,netdev=mgmt,id=nic-mgmt',
      'virtio-net-pci,id=nic-a,mac=fa:16:3e:00:00:01,netdev=net-a',
      'virtio-net-pci,id=nic-b,mac=fa:16:3e:00:00:02',
    ]);
  });

  it('passes the hostname, instance id and a static address to the guest on its command line', () => {
    assert.equal(
      guestCmdline('console=ttyS0', { hostname: 'Web_1 (prod)', instanceId: id, ip: '10.0.0.5/24' }),
      `console=ttyS0 nimbus.hostname=web-1-prod nimbus.instance=${id} nimbus.ip=10.0.0.5/24`,
    );
    assert.equal(hostnameOf('***'), 'nimbus-guest');
    assert.equal(hostnameOf('a'.repeat(80)).length, 63);
  });

  it('keeps QMP sockets short whatever the node dir, and accepts only UUID instance ids', () => {
    const files = new InstanceFiles('/' + 'very-long-directory-name/'.repeat(8));
    assert.ok(Buffer.byteLength(files.qmpSocket(id)) < 108);
    assert.ok(files.pidfile(id).startsWith(files.instancesDir));
    assert.equal(isInstanceUuid(id), true);
    assert.equal(isInstanceUuid('../etc'), false);
    assert.throws(() => files.dir('inst-1'), /not a lowercase UUID/);
  });
});
