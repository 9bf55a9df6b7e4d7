import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** A Keystone user: a name in a domain and a scrypt password hash (core/identity/passwords.ts). */
@Entity('users')
@Unique('UQ_users_domain_name', ['domainId', 'name'])
export class User {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text' }) name: string;
  @Column({ name: 'domain_id', type: 'text', default: 'default' }) domainId: string;
  @Column({ name: 'password_hash', type: 'text' }) passwordHash: string;
  @Column({ type: 'boolean', default: true }) enabled: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
