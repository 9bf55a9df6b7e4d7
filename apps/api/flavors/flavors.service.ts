import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Flavor } from '../../../core/db/entities/index.js';
import { isUniqueViolation } from '../../../core/errors.js';
import { isUuid } from '../../../core/ids.js';
import { Problem } from '../common/problem.js';
import type { CreateFlavorDto } from './create-flavor.dto.js';

/** The Nova flavor catalog: every project reads it, the admin changes it. */
@Injectable()
export class FlavorsService {
  constructor(private readonly db: DataSource) {}

  list(): Promise<Flavor[]> {
    return this.db.getRepository(Flavor).find({ order: { vcpus: 'ASC', ramMb: 'ASC' } });
  }

  /** By id or by name. */
  async get(ref: string): Promise<Flavor> {
    const f = await this.db.getRepository(Flavor).findOneBy(isUuid(ref) ? { id: ref } : { name: ref });
    if (!f) throw Problem.notFound('flavor', ref);
    return f;
  }

  async create(body: CreateFlavorDto): Promise<Flavor> {
    const repo = this.db.getRepository(Flavor);
    try {
      const f = repo.create({ name: body.name, vcpus: body.vcpus, ramMb: body.ramMb, diskGb: body.diskGb });
      await repo.insert(f);
      return await repo.findOneByOrFail({ id: f.id });
    } catch (err) {
      if (isUniqueViolation(err)) throw Problem.conflict(`a flavor named ${body.name} exists`);
      throw err;
    }
  }

  /**
   * Refused while any instance record names the flavor, deleted ones included: instance views
   * read the flavor's name from this row, so removing it would hide those instances' history.
   */
  async delete(ref: string): Promise<void> {
    const f = await this.get(ref);
    // Check and delete in one statement, so a build recorded meanwhile has the smallest window.
    const [, deleted] = await this.db.query<[unknown, number]>(
      `DELETE FROM flavors WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM instances WHERE flavor_id = $1)`,
      [f.id],
    );
    if (deleted > 0) return;
    const [u] = await this.db.query<Array<{ live: number; gone: number }>>(
      `SELECT count(*) FILTER (WHERE status <> 'DELETED')::int AS live,
              count(*) FILTER (WHERE status = 'DELETED')::int AS gone
       FROM instances WHERE flavor_id = $1`,
      [f.id],
    );
    const gone = u.gone ? ` and recorded on ${u.gone} deleted one(s)` : '';
    throw Problem.conflict(`flavor ${f.name} is used by ${u.live} instance(s)${gone}`);
  }
}
