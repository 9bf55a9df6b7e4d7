import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type SegmentationType = 'flat' | 'vlan' | 'vxlan';

@Entity('networks')
export class Network {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text', unique: true }) name: string;
  @Column({ type: 'cidr' }) cidr: string;
  @Column({ type: 'inet' }) gateway: string;
  /** First and last address handed out; default: the whole subnet less network, gateway, broadcast. */
  @Column({ name: 'allocation_start', type: 'inet' }) allocationStart: string;
  @Column({ name: 'allocation_end', type: 'inet' }) allocationEnd: string;
  @Column({ name: 'dns_servers', type: 'text', array: true, default: '{}' }) dnsServers: string[];
  @Column({ name: 'segmentation_type', type: 'text' }) segmentationType: SegmentationType;
  @Column({ name: 'segmentation_id', type: 'int', nullable: true }) segmentationId: number | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
