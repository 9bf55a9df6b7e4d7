import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { InjectionMode } from '../../../contracts/failure-injection.js';

/** A failure injected by an admin into one host's step (tests and demos); the agent obeys it. */
@Entity('host_faults')
export class HostFailureInjection {
  @PrimaryColumn({ type: 'text' }) host: string;
  @PrimaryColumn({ type: 'text' }) step: string;
  @Column({ type: 'text' }) mode: InjectionMode;
  @Column({ type: 'int' }) times: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
