import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type ImageStatus = 'queued' | 'saving' | 'active' | 'deleted';

/**
 * Image metadata; the bytes live content-addressed in the image store under `sha256`. A name is
 * unique per owner among live images (the expression index is the migration's, TypeORM keeps off it).
 */
@Entity('images')
@Index('UQ_images_owner_name', { synchronize: false })
export class Image {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text' }) name: string;
  @Column({ type: 'text', default: 'queued' }) status: ImageStatus;
  @Column({
    name: 'size_bytes',
    type: 'bigint',
    nullable: true,
    transformer: { to: (v) => v, from: (v) => (v === null ? null : Number(v)) },
  })
  sizeBytes: number | null;
  @Column({ type: 'text', nullable: true }) sha256: string | null;
  @Column({ name: 'project_id', type: 'uuid', nullable: true }) projectId: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
