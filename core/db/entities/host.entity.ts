import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

const ratio = { type: 'double precision' as const };

/** A compute node: capacity, usage (the sum of its live claims) and liveness. */
@Entity('hosts')
// Expression indexes for the weighers (migration 1764450000000): TypeORM cannot express them, only leave them alone.
@Index('IDX_hosts_free_ram_spread', { synchronize: false })
@Index('IDX_hosts_free_ram_pack', { synchronize: false })
@Check('usage_not_negative', '"vcpus_used" >= 0 AND "ram_mb_used" >= 0 AND "disk_gb_used" >= 0')
export class Host {
  @PrimaryColumn({ type: 'text' }) name: string;
  @Column({ type: 'int' }) vcpus: number;
  @Column({ name: 'ram_mb', type: 'int' }) ramMb: number;
  @Column({ name: 'disk_gb', type: 'int' }) diskGb: number;
  @Column({ name: 'cpu_allocation_ratio', ...ratio, default: 4.0 }) cpuAllocationRatio: number;
  @Column({ name: 'ram_allocation_ratio', ...ratio, default: 1.0 }) ramAllocationRatio: number;
  @Column({ name: 'disk_allocation_ratio', ...ratio, default: 1.0 }) diskAllocationRatio: number;
  @Column({ name: 'vcpus_used', type: 'int', default: 0 }) vcpusUsed: number;
  @Column({ name: 'ram_mb_used', type: 'int', default: 0 }) ramMbUsed: number;
  @Column({ name: 'disk_gb_used', type: 'int', default: 0 }) diskGbUsed: number;
  @Column({ type: 'boolean', default: false }) disabled: boolean;
  @Column({ name: 'disabled_reason', type: 'text', nullable: true }) disabledReason: string | null;
  /** What its driver reports, e.g. 'fake', 'qemu/tcg', 'qemu/kvm' (Nova's hypervisor_type). */
  @Column({ name: 'hypervisor_type', type: 'text', nullable: true }) hypervisorType: string | null;
  @Column({ name: 'last_heartbeat_at', type: 'timestamptz', nullable: true }) lastHeartbeatAt: Date | null;
  /** Since when a host step went unanswered (frozen agent); the next heartbeat clears it. */
  @Column({ name: 'suspect_since', type: 'timestamptz', nullable: true }) suspectSince: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
