import { Entity, Index, ManyToOne, OneToOne, Property } from '@mikro-orm/decorators/legacy';
import { TimestampedEntity } from '../../infra/db/base.entity';
import { Organization } from '../organizations/organization.entity';
import { User } from '../../users/user.entity';

/** A user's onboarding answers; one row per user, created on first completion. */
@Entity({ tableName: 'onboardings' })
@Index({ name: 'onboardings_organization_idx', properties: ['organization'] })
export class Onboarding extends TimestampedEntity<'organization'> {
  @OneToOne(() => User, { primary: true, deleteRule: 'cascade', updateRule: 'cascade' })
  user!: User;

  @Property({ type: 'text' })
  company!: string;

  @Property({ type: 'text' })
  useCase!: string;

  @Property({ type: 'text' })
  teamSize!: string;

  @Property({ type: 'text' })
  prdStyle!: string;

  @Property({ type: 'text[]' })
  interests!: string[];

  /** First completion; completing again keeps it. */
  @Property({ type: 'datetime' })
  completedAt!: Date;

  /** The organization onboarding created, so a repeat never creates another. */
  @ManyToOne(() => Organization, { nullable: true, deleteRule: 'set null', updateRule: 'cascade' })
  organization: Organization | null = null;
}
