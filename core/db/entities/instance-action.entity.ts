import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type ActionOutcome = 'running' | 'succeeded' | 'failed' | 'compensated';

/** One row per saga step (and per undo), with timing: the instance's action log. */
@Entity('instance_actions')
@Index(['instanceId', 'step', 'host'])
export class InstanceAction {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'instance_id', type: 'uuid' }) instanceId: string;
  @Column({ type: 'text' }) step: string;
  @Column({ type: 'text', nullable: true }) host: string | null;
  @Column({ type: 'text' }) outcome: ActionOutcome;
  @Column({ type: 'text', nullable: true }) message: string | null;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt: Date;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt: Date | null;
}
