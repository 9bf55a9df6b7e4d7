import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('instance_faults')
export class InstanceFault {
  @PrimaryColumn({ name: 'instance_id', type: 'uuid' }) instanceId: string;
  @Column({ type: 'text' }) code: string;
  @Column({ type: 'text' }) message: string;
  @Column({ type: 'text', nullable: true }) step: string | null;
  @Column({ type: 'text', nullable: true }) host: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
