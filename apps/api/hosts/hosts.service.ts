import { Injectable } from '@nestjs/common';
import type { HostFailureInjection } from '../../../core/db/entities/index.js';
import { HostInjectionStore } from '../../../core/failure-injection/host-injection-store.js';
import { HostRegistry, type HostLiveness, type HostView } from '../../../core/scheduling/host-registry.js';
import { Problem } from '../common/problem.js';
import type { FaultDto, HostUpdateDto } from './host.dto.js';

/** Compute hosts as the admin sees them, and the faults armed on them. */
@Injectable()
export class HostsService {
  constructor(
    private readonly registry: HostRegistry,
    private readonly faults: HostInjectionStore,
  ) {}

  async list(status?: HostLiveness): Promise<HostView[]> {
    const all = await this.registry.list();
    return status ? all.filter((h) => h.status === status) : all;
  }

  async get(name: string): Promise<HostView> {
    const host = await this.registry.get(name);
    if (!host) throw Problem.notFound('host', name);
    return host;
  }

  async update(name: string, body: HostUpdateDto): Promise<HostView> {
    if (!(await this.registry.setDisabled(name, body.disabled, body.reason ?? null))) {
      throw Problem.notFound('host', name);
    }
    return this.get(name);
  }

  listFaults(name: string): Promise<HostFailureInjection[]> {
    return this.faults.list(name);
  }

  async armFault(name: string, fault: FaultDto): Promise<HostFailureInjection[]> {
    await this.get(name);
    await this.faults.arm(name, fault);
    return this.faults.list(name);
  }

  async clearFaults(name: string): Promise<void> {
    await this.faults.clear(name);
  }
}
