import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { AttemptOutcome } from '../../../contracts/instances.js';

/** Each host tried for a build and what happened there. */
@Entity('scheduling_attempts')
@Unique(['instanceId', 'attemptNo'])
export class SchedulingAttempt {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'instance_id', type: 'uuid' }) instanceId: string;
  @Column({ name: 'attempt_no', type: 'int' }) attemptNo: number;
  @Column({ type: 'text' }) host: string;
  @Column({ type: 'text' }) outcome: AttemptOutcome;
  @Column({ type: 'text', nullable: true }) reason: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
