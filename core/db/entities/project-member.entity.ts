import { Check, Column, Entity, ManyToOne, JoinColumn, PrimaryColumn } from 'typeorm';
import { Project } from './project.entity.js';
import { User } from './user.entity.js';

/** A user's role on a project (Keystone's role assignment): admin, member or reader. */
@Entity('project_members')
@Check('CHK_project_members_role', `"role" IN ('admin', 'member', 'reader')`)
export class ProjectMember {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' }) userId: string;
  @PrimaryColumn({ name: 'project_id', type: 'uuid' }) projectId: string;
  @Column({ type: 'text' }) role: string;
  @ManyToOne(() => User, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'user_id' }) user?: User;
  @ManyToOne(() => Project, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'project_id' }) project?: Project;
}
