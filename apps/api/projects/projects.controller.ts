import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Project } from '../../../core/db/entities/index.js';
import { sha256Hex } from '../../../core/db/seeds.js';
import { isUniqueViolation } from '../../../core/errors.js';
import { quotaUsage } from '../../../core/projects/quotas.js';
import { AdminOnly } from '../common/auth.js';
import { Problem } from '../common/problem.js';

export class QuotasDto {
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsInt() @Min(0) @Max(1_000_000) instances?: number | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsInt() @Min(0) @Max(1_000_000) vcpus?: number | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsInt() @Min(0) @Max(1_000_000_000) ramMb?: number | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsInt() @Min(0) @Max(1_000_000_000) volumeGb?: number | null;
}

export class CreateProjectDto {
  @ApiProperty({ example: 'team-a' }) @IsString() @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/) name: string;
  @ApiPropertyOptional({ type: QuotasDto }) @IsOptional() @ValidateNested() @Type(() => QuotasDto) quotas?: QuotasDto;
}

export class CreateTokenDto {
  @ApiPropertyOptional({ example: 'ci' }) @IsOptional() @IsString() @Matches(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/) name?: string;
}

const uuid = new ParseUUIDPipe({ exceptionFactory: () => Problem.validation([{ field: 'id', message: 'must be a UUID' }]) });

/** Tenants (admin only): projects, their quotas, and their bearer tokens (shown once, stored hashed). */
@ApiTags('projects')
@ApiBearerAuth()
@AdminOnly()
@Controller('v1/projects')
export class ProjectsController {
  constructor(private readonly db: DataSource) {}

  @Get()
  async list() {
    const projects = await this.db.getRepository(Project).find({ order: { name: 'ASC' } });
    return Promise.all(projects.map((p) => this.view(p)));
  }

  @Get(':id')
  async get(@Param('id', uuid) id: string) {
    return this.view(await this.find(id));
  }

  @Post()
  @HttpCode(201)
  async create(@Body() body: CreateProjectDto) {
    const repo = this.db.getRepository(Project);
    const project = repo.create({ name: body.name, ...quotaColumns(body.quotas) });
    try {
      await repo.insert(project);
    } catch (err) {
      if (isUniqueViolation(err)) throw Problem.conflict(`a project named ${body.name} exists`);
      throw err;
    }
    return this.view(await this.find(project.id));
  }

  @Put(':id/quotas')
  async setQuotas(@Param('id', uuid) id: string, @Body() body: QuotasDto) {
    await this.find(id);
    await this.db.getRepository(Project).update({ id }, quotaColumns(body));
    return this.view(await this.find(id));
  }

  /** A new bearer token for the project; the token itself is in this reply only. */
  @Post(':id/tokens')
  @HttpCode(201)
  async createToken(@Param('id', uuid) id: string, @Body() body: CreateTokenDto) {
    const project = await this.find(id);
    const token = `nimbus-${randomBytes(24).toString('base64url')}`;
    const [row] = await this.db.query(
      `INSERT INTO api_tokens (token_sha256, project_id, is_admin, name) VALUES ($1, $2, false, $3) RETURNING id`,
      [sha256Hex(token), project.id, body.name ?? 'token'],
    );
    return { id: row.id, projectId: project.id, name: body.name ?? 'token', token };
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
