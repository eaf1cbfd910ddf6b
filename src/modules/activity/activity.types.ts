import { Field, ObjectType } from 'type-graphql';

@ObjectType('ActivityPing')
export class ActivityPingType {
  @Field(() => Boolean, {
    description: 'Whether this ping was recorded: at most one is, per 5 minutes.',
  })
  recorded!: boolean;

  @Field(() => Date)
  lastActiveAt!: Date;

  @Field(() => Date, { description: 'When the next ping will be recorded.' })
  nextRecordableAt!: Date;
}
