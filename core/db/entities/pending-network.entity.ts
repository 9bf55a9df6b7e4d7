import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A Neutron network created without a subnet: Nimbus's networks always have one, so the
 * network is recorded here until its subnet arrives and becomes a network with the same id.
 */
@Entity('pending_networks')
export class PendingNetwork {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text', unique: true }) name: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
