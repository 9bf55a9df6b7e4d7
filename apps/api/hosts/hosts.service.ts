import { Injectable } from '@nestjs/common';
import { HostRegistry, type HostLiveness, type HostView } from '../../../core/scheduling/host-registry.js';
import { Problem } from '../common/problem.js';
import type { HostUpdateDto } from './host.dto.js';

/** Compute hosts as the admin sees them. */
@Injectable()
export class HostsService {
  constructor(private readonly registry: HostRegistry) {}

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
}
