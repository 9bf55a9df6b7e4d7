import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { Port, ServerExtra } from '../../../../core/db/entities/index.js';
import { isUuid } from '../../../../core/ids.js';
import type { InstanceView } from '../../../../core/instances/instance-view.js';
import type { Principal } from '../../common/auth.js';
import { Problem } from '../../common/problem.js';
import { InstancesService } from '../../instances/instances.service.js';
import { toBuildRequest, type NovaServerCreate } from './server-request.js';

export interface ServerFilter {
  name?: string;
  status?: string;
}

/** Nova's `name` filter is a regular expression; a pattern that is not one matches as text. */
function nameMatcher(pattern: string | undefined): (name: string) => boolean {
  if (!pattern) return () => true;
  try {
    const re = new RegExp(pattern);
    return (name) => re.test(name);
  } catch {
    return (name) => name.includes(pattern);
  }
}

/**
 * Nova's servers over the native InstancesService (the same validation, records and
 * workflows): only the shapes and Nova's view of deleted servers (gone: 404) are ours.
 */
@Injectable()
export class NovaServers {
  constructor(
    private readonly db: DataSource,
    private readonly instances: InstancesService,
  ) {}

  async create(principal: Principal, body: NovaServerCreate): Promise<InstanceView> {
    const { build, extras } = await toBuildRequest(body, (portId) => this.networkOfPort(portId));
    const { instance } = await this.instances.create(principal, build);
    await this.db
      .getRepository(ServerExtra)
      .insert({ instanceId: instance.id, userId: principal.userId ?? null, ...extras });
    return instance;
  }

  /** A live (not deleted) server of the caller's project, or 404 as Nova answers for a name too. */
  async get(principal: Principal, id: string): Promise<InstanceView> {
    if (!isUuid(id)) throw Problem.notFound('server', id);
    const view = await this.instances.get(principal, id);
    if (view.status === 'DELETED') throw Problem.notFound('server', id);
    return view;
  }

  async list(principal: Principal, filter: ServerFilter): Promise<InstanceView[]> {
    const status = filter.status?.toUpperCase();
    const all = await this.instances.list(principal, { status });
    const matches = nameMatcher(filter.name);
    return all.filter((v) => (status === 'DELETED' || v.status !== 'DELETED') && matches(v.name));
  }

  async extras(ids: string[]): Promise<Map<string, ServerExtra>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.getRepository(ServerExtra).findBy({ instanceId: In(ids) });
    return new Map(rows.map((r) => [r.instanceId, r]));
  }

  async delete(principal: Principal, id: string): Promise<void> {
    await this.get(principal, id);
    await this.instances.delete(principal, id);
  }

  private async networkOfPort(portId: string): Promise<string> {
    const port = isUuid(portId) ? await this.db.getRepository(Port).findOneBy({ id: portId }) : null;
    if (!port) throw Problem.notFound('port', portId);
    return port.networkId;
  }
}
