import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { Flavor } from '../../../core/db/entities/index.js';
import { isUniqueViolation } from '../../../core/errors.js';
import { AdminOnly } from '../common/auth.js';
import { Problem } from '../common/problem.js';
import { isUuid } from '../../../core/ids.js';

/** Bounds that keep a flavor physical: a request past them is a typo, not a machine. */
export class CreateFlavorDto {
  @ApiProperty({ example: 'm1.huge' }) @IsString() @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/) name: string;
  @ApiProperty({ minimum: 1, maximum: 1024 }) @IsInt() @Min(1) @Max(1024) vcpus: number;
  @ApiProperty({ minimum: 64, maximum: 16_777_216, description: 'MB (up to 16 TiB)' }) @IsInt() @Min(64) @Max(16_777_216) ramMb: number;
  @ApiProperty({ minimum: 0, maximum: 1_048_576, description: 'GB of root disk (0: the image size)' }) @IsInt() @Min(0) @Max(1_048_576) diskGb: number;
}


@ApiTags('catalog')
@ApiBearerAuth()
@Controller('v1')
export class CatalogController {
  constructor(private readonly db: DataSource) {}

  @Get('flavors')
  flavors() {
    return this.db.getRepository(Flavor).find({ order: { vcpus: 'ASC', ramMb: 'ASC' } });
  }

  @Get('flavors/:id')
  async flavor(@Param('id') id: string) {
    const f = await this.db.getRepository(Flavor).findOneBy(isUuid(id) ? { id } : { name: id });
    if (!f) throw Problem.notFound('flavor', id);
    return f;
  }

  @Post('flavors')
  @AdminOnly()
  @HttpCode(201)
  async createFlavor(@Body() body: CreateFlavorDto) {
    const repo = this.db.getRepository(Flavor);
    try {
      const f = repo.create({ name: body.name, vcpus: body.vcpus, ramMb: body.ramMb, diskGb: body.diskGb });
      await repo.insert(f);
      return repo.findOneByOrFail({ id: f.id });
    } catch (err) {
      if (isUniqueViolation(err)) throw Problem.conflict(`a flavor named ${body.name} exists`);
      throw err;
    }
  }

  /**
   * Refused while any instance record names the flavor, deleted ones included: instance views
   * read the flavor's name from this row, so removing it would hide those instances' history.
   */
  @Delete('flavors/:id')
  @AdminOnly()
  @HttpCode(204)
  async deleteFlavor(@Param('id') id: string) {
    const f = await this.db.getRepository(Flavor).findOneBy(isUuid(id) ? { id } : { name: id });
    if (!f) throw Problem.notFound('flavor', id);
    // Check and delete in one statement, so a build recorded meanwhile has the smallest window.
    const [, deleted] = await this.db.query(
      `DELETE FROM flavors WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM instances WHERE flavor_id = $1)`,
      [f.id],
    );
    if (deleted === 0) {
      const [u] = await this.db.query(
        `SELECT count(*) FILTER (WHERE status <> 'DELETED')::int AS live, count(*) FILTER (WHERE status = 'DELETED')::int AS gone
         FROM instances WHERE flavor_id = $1`,
        [f.id],
      );
      throw Problem.conflict(`flavor ${f.name} is used by ${u.live} instance(s)${u.gone ? ` and recorded on ${u.gone} deleted one(s)` : ''}`);
    }
  }
}
