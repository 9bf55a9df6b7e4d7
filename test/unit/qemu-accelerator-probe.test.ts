import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classifyKernelBoot,
  classifyRomBoot,
  kernelProbeArgs,
  probeAccelerator,
  probeRom,
  ROM_EXIT_STATUS,
  romProbeArgs,
} from '../../core/hypervisor/qemu/accelerator-probe.js';

describe('accelerator probe', () => {
  it('puts a reset vector at the top of a 64 KiB ROM that exits through isa-debug-exit', () => {
    const rom = probeRom();
    assert.equal(rom.length, 65536);
    assert.deepEqual([...rom.subarray(0xfff0, 0xfff4)], [0xb0, 0x42, 0xe6, 0xf4]);
    assert.equal(ROM_EXIT_STATUS, 133);
    assert.ok(romProbeArgs('/tmp/p.rom').join(' ').includes('-accel kvm'));
    assert.ok(romProbeArgs('/tmp/p.rom').includes('isa-debug-exit,iobase=0xf4,iosize=0x04'));
  });

  it('only a ROM boot that exits with the ROM status counts as KVM running guest code', () => {
    assert.equal(classifyRomBoot({ exitCode: 133, timedOut: false, output: '' }), null);
    assert.match(
      classifyRomBoot({ exitCode: 1, timedOut: false, output: 'error: failed to set MSR 0x10a to 0x0\n' })!,
      /failed \(exit 1\): error: failed to set MSR 0x10a/,
    );
    assert.match(classifyRomBoot({ exitCode: null, timedOut: true, output: '' })!, /did not finish in time/);
  });

  it('a kernel test boot counts only when the kernel printed its banner', () => {
    const banner = '[    0.000000] Linux version 6.1.0-57-cloud-amd64 (debian-kernel@lists.debian.org)\n';
    assert.equal(classifyKernelBoot({ exitCode: null, timedOut: false, output: banner }, 3000), null);
    assert.match(
      classifyKernelBoot({ exitCode: null, timedOut: true, output: '' }, 3000)!,
      /printed nothing in 3000 ms/,
    );
    assert.match(classifyKernelBoot({ exitCode: 1, timedOut: false, output: 'boom' }, 3000)!, /exit 1\): boom/);
  });

  it('never asks for -cpu host without KVM, and a forced accelerator skips the boots', async () => {
    const args = kernelProbeArgs('/k');
    assert.equal(args[args.indexOf('-accel') + 1], 'kvm');
    assert.deepEqual(await probeAccelerator({ force: 'tcg' }), {
      accel: 'tcg',
      hypervisorType: 'qemu/tcg',
      reason: 'forced (tcg)',
    });
  });
});
