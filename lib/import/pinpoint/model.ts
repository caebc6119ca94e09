/**
 * The parts of Amazon Pinpoint's API model the importer reads, as zod schemas
 * (schema and type share one name, as in `lib/engine/schema.ts`).
 *
 * Source: the Pinpoint service model, API version 2016-12-01:
 * aws/aws-sdk-js-v3 `codegen/sdk-codegen/aws-models/pinpoint.json` (the same
 * model botocore ships as `botocore/data/pinpoint/2016-12-01/service-2.json`),
 * read through the types `@aws-sdk/client-pinpoint` 3.1132.0 generates from it.
 * Shape and member names are the model's; the AWS CLI prints them unchanged
 * (`aws pinpoint get-journey` → `{"JourneyResponse": {...}}`).
 *
 * Every object is loose: an export carries members the importer does not read
 * (ids, ARNs, dates, tags), and a member added to the API later must not make
 * an export unreadable. Enumerations are read as text and checked where they
 * are mapped, so an unknown value is reported, not fatal.
 */
import { z } from 'zod';

/** What a member of an export should have been, for the report ("expected a number"). */
export function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return `expected ${issue.expected === 'record' || issue.expected === 'object' ? 'an object' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}`;
  return issue.message;
}

const Text = z.string();
const Count = z.number();

/** `WaitTime`: a duration (`WaitFor`, ISO 8601) or an instant (`WaitUntil`, ISO 8601). */
export const WaitTime = z.looseObject({ WaitFor: Text.optional(), WaitUntil: Text.optional() });
export type WaitTime = z.infer<typeof WaitTime>;

/** `SetDimension`: `DimensionType` INCLUSIVE | EXCLUSIVE. */
export const SetDimension = z.looseObject({ DimensionType: Text.optional(), Values: z.array(Text) });
export type SetDimension = z.infer<typeof SetDimension>;

/** `AttributeDimension`: `AttributeType` INCLUSIVE | EXCLUSIVE | CONTAINS | BEFORE | AFTER | ON | BETWEEN. */
export const AttributeDimension = z.looseObject({ AttributeType: Text.optional(), Values: z.array(Text) });
export type AttributeDimension = z.infer<typeof AttributeDimension>;

/** `MetricDimension`: `ComparisonOperator` GREATER_THAN | LESS_THAN | GREATER_THAN_OR_EQUAL | LESS_THAN_OR_EQUAL | EQUAL. */
export const MetricDimension = z.looseObject({ ComparisonOperator: Text, Value: Count });
export type MetricDimension = z.infer<typeof MetricDimension>;

/** `EventDimensions` (the brief's "EventsDimensions"): the event type, its attributes and its metrics. */
export const EventDimensions = z.looseObject({
  EventType: SetDimension.optional(),
  Attributes: z.record(Text, AttributeDimension).optional(),
  Metrics: z.record(Text, MetricDimension).optional(),
});
export type EventDimensions = z.infer<typeof EventDimensions>;

/** `EventCondition`: `MessageActivity` narrows message events to one message activity's messages. */
export const EventCondition = z.looseObject({ Dimensions: EventDimensions.optional(), MessageActivity: Text.optional() });
export type EventCondition = z.infer<typeof EventCondition>;

export const SegmentCondition = z.looseObject({ SegmentId: Text });
export type SegmentCondition = z.infer<typeof SegmentCondition>;

/** `SegmentDimensions`: custom attributes and metrics are read; behaviour, demographics and location are reported. */
export const SegmentDimensions = z.looseObject({
  Attributes: z.record(Text, AttributeDimension).optional(),
  UserAttributes: z.record(Text, AttributeDimension).optional(),
  Metrics: z.record(Text, MetricDimension).optional(),
  Behavior: z.unknown().optional(),
  Demographic: z.unknown().optional(),
  Location: z.unknown().optional(),
});
export type SegmentDimensions = z.infer<typeof SegmentDimensions>;

export const SimpleCondition = z.looseObject({
  EventCondition: EventCondition.optional(),
  SegmentCondition: SegmentCondition.optional(),
  SegmentDimensions: SegmentDimensions.optional(),
});
export type SimpleCondition = z.infer<typeof SimpleCondition>;

/** `Condition`: `Operator` ALL | ANY. */
export const Condition = z.looseObject({ Conditions: z.array(SimpleCondition).optional(), Operator: Text.optional() });
export type Condition = z.infer<typeof Condition>;

const MessageActivity = {
  NextActivity: Text.optional(),
  TemplateName: Text.optional(),
  TemplateVersion: Text.optional(),
};

export const EmailMessageActivity = z.looseObject({
  ...MessageActivity,
  MessageConfig: z.looseObject({ FromAddress: Text.optional() }).optional(),
});
export type EmailMessageActivity = z.infer<typeof EmailMessageActivity>;

export const WaitActivity = z.looseObject({ NextActivity: Text.optional(), WaitTime: WaitTime.optional() });
export type WaitActivity = z.infer<typeof WaitActivity>;

export const ConditionalSplitActivity = z.looseObject({
  Condition: Condition.optional(),
  EvaluationWaitTime: WaitTime.optional(),
  TrueActivity: Text.optional(),
  FalseActivity: Text.optional(),
});
export type ConditionalSplitActivity = z.infer<typeof ConditionalSplitActivity>;

export const MultiConditionalSplitActivity = z.looseObject({
  Branches: z.array(z.looseObject({ Condition: SimpleCondition.optional(), NextActivity: Text.optional() })).optional(),
  DefaultActivity: Text.optional(),
  EvaluationWaitTime: WaitTime.optional(),
});
export type MultiConditionalSplitActivity = z.infer<typeof MultiConditionalSplitActivity>;

export const RandomSplitActivity = z.looseObject({
  Branches: z.array(z.looseObject({ NextActivity: Text.optional(), Percentage: Count.optional() })).optional(),
});
export type RandomSplitActivity = z.infer<typeof RandomSplitActivity>;

export const HoldoutActivity = z.looseObject({ NextActivity: Text.optional(), Percentage: Count });
export type HoldoutActivity = z.infer<typeof HoldoutActivity>;

/** SMS, PUSH, CUSTOM and ContactCenter activities: only where they lead is read. */
export const OtherChannelActivity = z.looseObject({ NextActivity: Text.optional() });
export type OtherChannelActivity = z.infer<typeof OtherChannelActivity>;

export const Activity = z.looseObject({
  Description: Text.optional(),
  EMAIL: EmailMessageActivity.optional(),
  Wait: WaitActivity.optional(),
  ConditionalSplit: ConditionalSplitActivity.optional(),
  MultiCondition: MultiConditionalSplitActivity.optional(),
  RandomSplit: RandomSplitActivity.optional(),
  Holdout: HoldoutActivity.optional(),
  SMS: OtherChannelActivity.optional(),
  PUSH: OtherChannelActivity.optional(),
  CUSTOM: OtherChannelActivity.optional(),
  ContactCenter: OtherChannelActivity.optional(),
});
export type Activity = z.infer<typeof Activity>;

/** The members of `Activity` that say what it does, one per activity. */
export const ACTIVITY_TYPES = ['EMAIL', 'Wait', 'ConditionalSplit', 'MultiCondition', 'RandomSplit', 'Holdout', 'SMS', 'PUSH', 'CUSTOM', 'ContactCenter'] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

export const QuietTime = z.looseObject({ Start: Text.optional(), End: Text.optional() });
export type QuietTime = z.infer<typeof QuietTime>;

/** `OpenHoursRule`: `StartTime`/`EndTime`, "HH:MM" in practice. */
export const OpenHoursRule = z.looseObject({ StartTime: Text.optional(), EndTime: Text.optional() });
export type OpenHoursRule = z.infer<typeof OpenHoursRule>;

/** `OpenHours`: per channel, per `DayOfWeek` (MONDAY … SUNDAY), a list of rules. */
export const OpenHours = z.record(Text, z.record(Text, z.array(OpenHoursRule)));
export type OpenHours = z.infer<typeof OpenHours>;

export const ClosedDaysRule = z.looseObject({ Name: Text.optional(), StartDateTime: Text.optional(), EndDateTime: Text.optional() });
export type ClosedDaysRule = z.infer<typeof ClosedDaysRule>;

/** `ClosedDays`: per channel, a list of rules. */
export const ClosedDays = z.record(Text, z.array(ClosedDaysRule));
export type ClosedDays = z.infer<typeof ClosedDays>;

/** `JourneyTimeframeCap`: `Cap` messages in `Days` days, across all journeys. */
export const JourneyTimeframeCap = z.looseObject({ Cap: Count.optional(), Days: Count.optional() });
export type JourneyTimeframeCap = z.infer<typeof JourneyTimeframeCap>;

export const JourneyLimits = z.looseObject({
  DailyCap: Count.optional(),
  EndpointReentryCap: Count.optional(),
  EndpointReentryInterval: Text.optional(),
  MessagesPerSecond: Count.optional(),
  TimeframeCap: JourneyTimeframeCap.optional(),
  TotalCap: Count.optional(),
});
export type JourneyLimits = z.infer<typeof JourneyLimits>;

/** `JourneySchedule`: `Timezone` is a UTC offset ("UTC", "UTC+05:30", "UTC-08"). */
export const JourneySchedule = z.looseObject({ StartTime: Text.optional(), EndTime: Text.optional(), Timezone: Text.optional() });
export type JourneySchedule = z.infer<typeof JourneySchedule>;

export const StartCondition = z.looseObject({
  Description: Text.optional(),
  EventStartCondition: z
    .looseObject({
      EventFilter: z.looseObject({ Dimensions: EventDimensions.optional(), FilterType: Text.optional() }).optional(),
      SegmentId: Text.optional(),
    })
    .optional(),
  SegmentStartCondition: SegmentCondition.optional(),
});
export type StartCondition = z.infer<typeof StartCondition>;

/**
 * `JourneyResponse` (what `get-journey` prints) and `WriteJourneyRequest`
 * (what `create-journey` takes) share these members. Activities are read one
 * by one (see `Activities` below), so one broken activity does not hide the
 * problems of the others.
 */
export const Journey = z.looseObject({
  Name: Text.optional(),
  Id: Text.optional(),
  State: Text.optional(),
  StartActivity: Text.optional(),
  Activities: z.record(Text, z.unknown()).optional(),
  StartCondition: StartCondition.optional(),
  Limits: JourneyLimits.optional(),
  QuietTime: QuietTime.optional(),
  WaitForQuietTime: z.boolean().optional(),
  SendingSchedule: z.boolean().optional(),
  OpenHours: OpenHours.optional(),
  ClosedDays: ClosedDays.optional(),
  Schedule: JourneySchedule.optional(),
  LocalTime: z.boolean().optional(),
  RefreshFrequency: Text.optional(),
  RefreshOnSegmentUpdate: z.boolean().optional(),
  TimezoneEstimationMethods: z.array(Text).optional(),
  JourneyChannelSettings: z.unknown().optional(),
  CreationDate: Text.optional(),
  LastModifiedDate: Text.optional(),
});
export type Journey = z.infer<typeof Journey>;

/** `EmailTemplateResponse` (what `get-email-template` prints inside `{"EmailTemplateResponse": ...}`). */
export const EmailTemplateResponse = z.looseObject({
  TemplateName: Text,
  TemplateType: Text.optional(),
  Subject: Text.optional(),
  HtmlPart: Text.optional(),
  TextPart: Text.optional(),
  DefaultSubstitutions: Text.optional(),
  Version: Text.optional(),
  RecommenderId: Text.optional(),
  Headers: z.array(z.unknown()).optional(),
  TemplateDescription: Text.optional(),
});
export type EmailTemplateResponse = z.infer<typeof EmailTemplateResponse>;

/** `ApplicationSettingsResource` (what `get-application-settings` prints inside `{"ApplicationSettingsResource": ...}`). */
export const ApplicationSettingsResource = z.looseObject({
  ApplicationId: Text.optional(),
  QuietTime: QuietTime.optional(),
  JourneyLimits: z
    .looseObject({ DailyCap: Count.optional(), TimeframeCap: JourneyTimeframeCap.optional(), TotalCap: Count.optional() })
    .optional(),
  Limits: z.looseObject({ Daily: Count.optional(), MessagesPerSecond: Count.optional(), Total: Count.optional() }).optional(),
});
export type ApplicationSettingsResource = z.infer<typeof ApplicationSettingsResource>;
