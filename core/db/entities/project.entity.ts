import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('projects')
export class Project {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text', unique: true }) name: string;
  /** Quotas: NULL is no limit. Counted over the project's BUILD and ACTIVE instances and its volumes. */
  @Column({ name: 'quota_instances', type: 'int', nullable: true }) quotaInstances: number | null;
  @Column({ name: 'quota_vcpus', type: 'int', nullable: true }) quotaVcpus: number | null;
  @Column({ name: 'quota_ram_mb', type: 'int', nullable: true }) quotaRamMb: number | null;
  @Column({ name: 'quota_volume_gb', type: 'int', nullable: true }) quotaVolumeGb: number | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
