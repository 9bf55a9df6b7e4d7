/**
 * The leak checker's view of QEMU guests (test/support/qemu-processes.ts) on a fake process
 * listing: only `qemu-system-*` processes with a `-uuid` whose pidfile lies in this stack's
 * node folders count, so guests of another stack or of `npm start` on the same machine do not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { qemuByHost, qemuGuestsOf, type ProcessEntry } from '../support/qemu-processes.js';

const DATA = '/tmp/nimbus-test-abc';
const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';

function qemu(pid: number, uuid: string, pidfile: string, binary = 'qemu-system-x86_64'): ProcessEntry {
  return { pid, argv: [binary, '-name', 'vm', '-uuid', uuid, '-pidfile', pidfile, '-daemonize'] };
}
const pidfile = (dataDir: string, host: string, id: string) => `${dataDir}/nodes/${host}/qemu/instances/${id}/qemu.pid`;

describe('QEMU guests of a stack, from a process listing', () => {
  it('keeps the stack’s own guests, by host, and nothing else', () => {
    const listing: ProcessEntry[] = [
      { pid: 1, argv: ['/sbin/init'] },
      qemu(10, A, pidfile(DATA, 'node-1', A)),
      qemu(11, B, pidfile(DATA, 'node-2', B), '/usr/bin/qemu-system-x86_64'),
      // Another stack's guest, a data dir that only shares a prefix, and `npm start`'s.
      qemu(12, C, pidfile('/tmp/nimbus-test-xyz', 'node-1', C)),
      qemu(13, C, pidfile(`${DATA}-2`, 'node-1', C)),
      qemu(14, C, `/root/nimbus/.nimbus/nodes/node-1/qemu/instances/${C}/qemu.pid`),
      // Not QEMU, or no -uuid: a grep for the id, qemu-img on the overlay.
      { pid: 15, argv: ['grep', '-uuid', A, '-pidfile', pidfile(DATA, 'node-1', A)] },
      { pid: 16, argv: ['qemu-system-x86_64', '-pidfile', pidfile(DATA, 'node-1', A)] },
      // A pidfile in the node folder but not the driver's (not under qemu/).
      qemu(17, C, `${DATA}/nodes/node-1/other/${C}.pid`),
    ];
    assert.deepEqual(qemuGuestsOf(listing, DATA), [
      { host: 'node-1', instanceId: A, pid: 10 },
      { host: 'node-2', instanceId: B, pid: 11 },
    ]);
    assert.deepEqual(
      qemuGuestsOf(listing, `${DATA}/`),
      qemuGuestsOf(listing, DATA),
      'a trailing slash is the same dir',
    );
  });

  it('maps every QEMU host, with [] for one running no guest, plus any host a guest names', () => {
    const guests = [
      { host: 'node-1', instanceId: A, pid: 10 },
      { host: 'node-1', instanceId: B, pid: 11 },
      { host: 'node-3', instanceId: C, pid: 12 },
    ];
    assert.deepEqual(
      qemuByHost(guests, ['node-1', 'node-2']),
      new Map([
        ['node-1', [A, B]],
        ['node-2', []],
        ['node-3', [C]],
      ]),
    );
  });
});
