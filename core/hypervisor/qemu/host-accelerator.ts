import { probeAccelerator, type Accelerator, type AcceleratorProbe } from './accelerator-probe.js';

/**
 * One driver's verdict on KVM or TCG. A verdict that test-booted a kernel is final; one that
 * could only run the ROM is redone with the first kernel at hand (a host whose KVM runs the
 * ROM may still hang a kernel).
 */
export class HostAccelerator {
  private probe: AcceleratorProbe | null = null;
  private kernelProbed = false;

  constructor(private readonly opts: { qemu?: string; accel?: Accelerator }) {}

  /** The verdict so far, if any probe ran. */
  get current(): AcceleratorProbe | null {
    return this.probe;
  }

  async resolve(kernel?: string): Promise<AcceleratorProbe> {
    if (this.probe && this.kernelProbed) return this.probe;
    const probe = await probeAccelerator({ qemu: this.opts.qemu, kernel, force: this.opts.accel });
    this.probe = probe;
    this.kernelProbed = kernel !== undefined || this.opts.accel !== undefined;
    return probe;
  }
}
