import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A bearer token; only its SHA-256 is stored. Project tokens (and application credentials,
 * which are project tokens) have no user and expire after NIMBUS_API_TOKEN_TTL; Keystone tokens
 * name their user, role and login methods and expire after NIMBUS_TOKEN_TTL; any can be revoked.
 * The configured admin and agent tokens (seeds) do not expire: rotating them revokes the old.
 */
@Entity('api_tokens')
export class ApiToken {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Index({ unique: true }) @Column({ name: 'token_sha256', type: 'text' }) tokenSha256: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId: string;
  @Column({ name: 'is_admin', type: 'boolean', default: false }) isAdmin: boolean;
  @Column({ type: 'text' }) name: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'user_id', type: 'uuid', nullable: true }) userId: string | null;
  @Column({ type: 'text', nullable: true }) role: string | null;
  @Column({ type: 'text', array: true, nullable: true }) methods: string[] | null;
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt: Date | null;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt: Date | null;
  /** A service credential's only permission (`image:read`); null: everything its project or admin flag allows. */
  @Column({ type: 'text', nullable: true }) scope: string | null;
}
