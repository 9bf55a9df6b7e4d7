import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/auth.js';
import { CreateFlavorDto } from './create-flavor.dto.js';
import { FlavorsService } from './flavors.service.js';
import { ApiProblems } from '../common/api-problems.js';

@ApiTags('catalog')
@ApiBearerAuth()
@Controller('v1/flavors')
export class FlavorsController {
  constructor(private readonly flavors: FlavorsService) {}

  /** Smallest first: by vCPUs, then RAM. */
  @Get()
  list() {
    return this.flavors.list();
  }

  /** By id or by name. */
  @Get(':id')
  @ApiProblems(404)
  get(@Param('id') ref: string) {
    return this.flavors.get(ref);
  }

  @Post()
  @AdminOnly()
  @ApiProblems(409)
  @HttpCode(201)
  create(@Body() body: CreateFlavorDto) {
    return this.flavors.create(body);
  }

  /** Refused (409) while any instance record, deleted ones included, names the flavor. */
  @Delete(':id')
  @AdminOnly()
  @ApiProblems(404, 409)
  @HttpCode(204)
  async delete(@Param('id') ref: string): Promise<void> {
    await this.flavors.delete(ref);
  }
}
