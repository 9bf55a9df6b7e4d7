import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A fault injected by an admin into one host's step (tests and demos); the agent obeys it. */
@Entity('host_faults')
export class HostFault {
  @PrimaryColumn({ type: 'text' }) host: string;
  @PrimaryColumn({ type: 'text' }) step: string;
  @Column({ type: 'text' }) mode: 'error' | 'hang' | 'crash';
  @Column({ type: 'int' }) times: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
