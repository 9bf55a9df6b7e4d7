import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/auth.js';
import { uuidParam } from '../common/params.js';
import { CreateProjectDto, CreateTokenDto, QuotasDto } from './project.dto.js';
import { ProjectsService } from './projects.service.js';
import { ApiProblems, ApiUuidParam } from '../common/api-problems.js';

/** Tenants (admin only): projects, their quotas, and their bearer tokens (shown once, stored hashed). */
@ApiTags('projects')
@ApiBearerAuth()
@AdminOnly()
@Controller('v1/projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Get()
  list() {
    return this.projects.list();
  }

  @Get(':id')
  @ApiUuidParam()
  @ApiProblems(404)
  get(@Param('id', uuidParam) id: string) {
    return this.projects.get(id);
  }

  @Post()
  @HttpCode(201)
  @ApiProblems(409)
  create(@Body() body: CreateProjectDto) {
    return this.projects.create(body);
  }

  @Put(':id/quotas')
  @ApiUuidParam()
  @ApiProblems(404)
  setQuotas(@Param('id', uuidParam) id: string, @Body() body: QuotasDto) {
    return this.projects.setQuotas(id, body);
  }

  /** A new bearer token for the project; the token itself is in this reply only. */
  @Post(':id/tokens')
  @ApiUuidParam()
  @ApiProblems(404)
  @HttpCode(201)
  createToken(@Param('id', uuidParam) id: string, @Body() body: CreateTokenDto) {
    return this.projects.createToken(id, body);
  }
}
