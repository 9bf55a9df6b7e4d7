import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Project } from '../../../core/db/entities/index.js';
import { isUniqueViolation } from '../../../core/errors.js';
import { ApiTokens } from '../../../core/projects/api-tokens.js';
import { quotaUsage } from '../../../core/projects/quotas.js';
import { Problem } from '../common/problem.js';
import type { CreateProjectDto, CreateTokenDto, QuotasDto } from './project.dto.js';

/** Tenants: projects, their quotas and usage, and their bearer tokens. */
@Injectable()
export class ProjectsService {
  constructor(
    private readonly db: DataSource,
    private readonly tokens: ApiTokens,
  ) {}

  async list() {
    const projects = await this.db.getRepository(Project).find({ order: { name: 'ASC' } });
    return Promise.all(projects.map((p) => this.view(p)));
  }

  async get(id: string) {
    return this.view(await this.find(id));
  }

  async create(body: CreateProjectDto) {
    const repo = this.db.getRepository(Project);
    const project = repo.create({ name: body.name, ...quotaColumns(body.quotas) });
    try {
      await repo.insert(project);
    } catch (err) {
      if (isUniqueViolation(err)) throw Problem.conflict(`a project named ${body.name} exists`);
      throw err;
    }
    return this.get(project.id);
  }

  async setQuotas(id: string, quotas: QuotasDto) {
    await this.find(id);
    await this.db.getRepository(Project).update({ id }, quotaColumns(quotas));
    return this.get(id);
  }

  /** A new bearer token for the project; the token itself is in this reply only. */
  async createToken(id: string, body: CreateTokenDto) {
    const project = await this.find(id);
    const name = body.name ?? 'token';
    const issued = await this.tokens.issue(project.id, name, body.ttlSeconds);
    return { id: issued.id, projectId: project.id, name, token: issued.token, expiresAt: issued.expiresAt };
  }

  private async find(id: string): Promise<Project> {
    const project = await this.db.getRepository(Project).findOneBy({ id });
    if (!project) throw Problem.notFound('project', id);
    return project;
  }

  private async view(p: Project) {
    return {
      id: p.id,
      name: p.name,
      quotas: { instances: p.quotaInstances, vcpus: p.quotaVcpus, ramMb: p.quotaRamMb, volumeGb: p.quotaVolumeGb },
      usage: await quotaUsage(this.db, p.id),
      createdAt: p.createdAt,
    };
  }
}

/** Only the quotas the request names change; null lifts a limit. */
function quotaColumns(q: QuotasDto | undefined): Partial<Project> {
  const out: Partial<Project> = {};
  if (!q) return out;
  if (q.instances !== undefined) out.quotaInstances = q.instances;
  if (q.vcpus !== undefined) out.quotaVcpus = q.vcpus;
  if (q.ramMb !== undefined) out.quotaRamMb = q.ramMb;
  if (q.volumeGb !== undefined) out.quotaVolumeGb = q.volumeGb;
  return out;
}
