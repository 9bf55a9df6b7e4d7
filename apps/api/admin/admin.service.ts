import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { checkInvariants, type Violation } from '../../../core/invariants/check-invariants.js';

export interface InvariantReport {
  ok: boolean;
  checkedAt: string;
  violations: Violation[];
}

/** Operator tools over the control plane's database. */
@Injectable()
export class AdminService {
  constructor(private readonly db: DataSource) {}

  async invariants(): Promise<InvariantReport> {
    const violations = await checkInvariants(this.db);
    return { ok: violations.length === 0, checkedAt: new Date().toISOString(), violations };
  }
}
