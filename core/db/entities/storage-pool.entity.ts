import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('storage_pools')
@Check('allocation_within_capacity', '"allocated_gb" >= 0 AND "allocated_gb" <= "capacity_gb"')
export class StoragePool {
  @PrimaryColumn({ type: 'text' }) name: string;
  @Column({ name: 'capacity_gb', type: 'int' }) capacityGb: number;
  @Column({ name: 'allocated_gb', type: 'int', default: 0 }) allocatedGb: number;
}
