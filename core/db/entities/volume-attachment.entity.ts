import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('volume_attachments')
export class VolumeAttachment {
  /** A volume is attached to at most one instance. */
  @PrimaryColumn({ name: 'volume_id', type: 'uuid' }) volumeId: string;
  @Column({ name: 'instance_id', type: 'uuid' }) instanceId: string;
  @Column({ type: 'text' }) host: string;
  @Column({ type: 'text', nullable: true }) device: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
