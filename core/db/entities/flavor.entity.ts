import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('flavors')
export class Flavor {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text', unique: true }) name: string;
  @Column({ type: 'int' }) vcpus: number;
  @Column({ name: 'ram_mb', type: 'int' }) ramMb: number;
  @Column({ name: 'disk_gb', type: 'int' }) diskGb: number;
}
