import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type VolumeStatus = 'creating' | 'available' | 'attaching' | 'in-use' | 'deleting' | 'deleted' | 'error';

@Entity('volumes')
export class Volume {
  /** Chosen by the caller (the workflow) so that a retried create is a no-op. */
  @PrimaryColumn({ type: 'uuid' }) id: string;
  @Column({ type: 'text', nullable: true }) name: string | null;
  @Column({ name: 'project_id', type: 'uuid' }) projectId: string;
  @Column({ name: 'size_gb', type: 'int' }) sizeGb: number;
  @Column({ type: 'text' }) status: VolumeStatus;
  @Column({ type: 'text' }) pool: string;
  /** Volumes created by a build are deleted with their instance; standalone ones are kept. */
  @Column({ name: 'delete_on_termination', type: 'boolean', default: false }) deleteOnTermination: boolean;
  /** The instance a build created this volume for (null: a standalone volume). */
  @Index('IDX_volumes_instance_id') @Column({ name: 'instance_id', type: 'uuid', nullable: true }) instanceId:
    string | null;
  @Column({ name: 'target_iqn', type: 'text', nullable: true }) targetIqn: string | null;
  @Column({ name: 'target_portal', type: 'text', nullable: true }) targetPortal: string | null;
  @Column({ name: 'target_lun', type: 'int', nullable: true }) targetLun: number | null;
  @Column({ name: 'chap_username', type: 'text', nullable: true }) chapUsername: string | null;
  @Column({ name: 'chap_secret', type: 'text', nullable: true }) chapSecret: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
