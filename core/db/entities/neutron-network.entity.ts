import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A network created through Neutron. Nimbus's networks always have their one subnet, so a
 * Neutron network is recorded here until its subnet arrives, then becomes a Nimbus network
 * with the same id; the row stays to remember the subnet's own name.
 */
@Entity('neutron_networks')
export class NeutronNetwork {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text', unique: true }) name: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId: string;
  @Column({ name: 'subnet_name', type: 'text', nullable: true }) subnetName: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
