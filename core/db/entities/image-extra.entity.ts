import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What a Glance client sets on an image beyond name and bytes: formats, visibility, free-form properties. */
@Entity('image_extras')
export class ImageExtra {
  @PrimaryColumn({ name: 'image_id', type: 'uuid' }) imageId: string;
  @Column({ type: 'text', default: 'private' }) visibility: string;
  @Column({ name: 'disk_format', type: 'text', nullable: true }) diskFormat: string | null;
  @Column({ name: 'container_format', type: 'text', nullable: true }) containerFormat: string | null;
  @Column({ type: 'jsonb', default: {} }) properties: Record<string, unknown>;
}
