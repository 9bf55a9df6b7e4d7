import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Resources held on a host for one instance. At most one live claim per instance. */
@Entity('claims')
export class Claim {
  @PrimaryColumn({ name: 'instance_id', type: 'uuid' }) instanceId: string;
  @Column({ type: 'text' }) host: string;
  @Column({ type: 'int' }) vcpus: number;
  @Column({ name: 'ram_mb', type: 'int' }) ramMb: number;
  @Column({ name: 'disk_gb', type: 'int' }) diskGb: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
