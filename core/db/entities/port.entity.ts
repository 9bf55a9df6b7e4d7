import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type PortStatus = 'down' | 'active';

@Entity('ports')
@Index(['instanceId', 'networkId'], { unique: true, where: 'instance_id IS NOT NULL' })
export class Port {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'network_id', type: 'uuid' }) networkId: string;
  @Column({ name: 'instance_id', type: 'uuid', nullable: true }) instanceId: string | null;
  @Column({ name: 'project_id', type: 'uuid', nullable: true }) projectId: string | null;
  @Column({ type: 'text', nullable: true }) host: string | null;
  @Index({ unique: true }) @Column({ name: 'mac_address', type: 'macaddr' }) macAddress: string;
  @Column({ type: 'text', default: 'down' }) status: PortStatus;
  @Column({ name: 'device_name', type: 'text', nullable: true }) deviceName: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
