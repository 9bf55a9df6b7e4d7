import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Resources held on a host for one instance. At most one live claim per instance. */
@Entity('claims')
export class Claim {
  @PrimaryColumn({ name: 'instance_id', type: 'uuid' }) instanceId: string;
  @Column({ type: 'text' }) host: string;
  @Column({ type: 'int' }) vcpus: number;
  @Column({ name: 'ram_mb', type: 'int' }) ramMb: number;
  @Column({ name: 'disk_gb', type: 'int' }) diskGb: number;
  /** The build's scheduling attempt that made it; null for claims made before attempts were recorded. */
  @Column({ name: 'attempt_no', type: 'int', nullable: true }) attemptNo: number | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
