import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What a Nova client sends with a server that the build itself does not use: stored and shown back. */
@Entity('server_extras')
export class ServerExtra {
  @PrimaryColumn({ name: 'instance_id', type: 'uuid' }) instanceId: string;
  @Column({ type: 'jsonb', default: {} }) metadata: Record<string, string>;
  @Column({ name: 'key_name', type: 'text', nullable: true }) keyName: string | null;
  @Column({ name: 'user_data', type: 'text', nullable: true }) userData: string | null;
  @Column({ name: 'user_id', type: 'uuid', nullable: true }) userId: string | null;
}
