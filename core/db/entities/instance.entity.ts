import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { InstanceStatus, TaskState } from '../../../contracts/instances.js';

@Entity('instances')
@Index(['projectId', 'idempotencyKey'], { unique: true, where: 'idempotency_key IS NOT NULL' })
export class Instance {
  /** Chosen by the API before the workflow starts, so the workflow id is known up front. */
  @PrimaryColumn({ type: 'uuid' }) id: string;
  @Column({ type: 'text' }) name: string;
  @Index() @Column({ name: 'project_id', type: 'uuid' }) projectId: string;
  @Index() @Column({ type: 'text' }) status: InstanceStatus;
  @Column({ name: 'task_state', type: 'text', nullable: true }) taskState: TaskState | null;
  /** Nova's power_state (contracts/power.ts): 0 NOSTATE, 1 RUNNING, 4 SHUTDOWN... */
  @Column({ name: 'power_state', type: 'int', default: 0 }) powerState: number;
  @Index() @Column({ type: 'text', nullable: true }) host: string | null;
  @Column({ name: 'flavor_id', type: 'uuid' }) flavorId: string;
  @Column({ name: 'image_id', type: 'uuid' }) imageId: string;
  @Column({ name: 'network_id', type: 'uuid' }) networkId: string;
  @Column({ name: 'volume_size_gb', type: 'int', nullable: true }) volumeSizeGb: number | null;
  @Column({ name: 'workflow_id', type: 'text' }) workflowId: string;
  @Column({ name: 'idempotency_key', type: 'text', nullable: true }) idempotencyKey: string | null;
  @Column({ name: 'request_sha256', type: 'text', nullable: true }) requestSha256: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Column({ name: 'launched_at', type: 'timestamptz', nullable: true }) launchedAt: Date | null;
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true }) deletedAt: Date | null;
}
