import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** An address handed out on a network; the unique constraint is what makes IPAM safe under concurrency. */
@Entity('ip_allocations')
@Unique(['networkId', 'address'])
export class IpAllocation {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'network_id', type: 'uuid' }) networkId: string;
  @Column({ name: 'port_id', type: 'uuid', unique: true }) portId: string;
  @Column({ type: 'inet' }) address: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
