/**
 * `waymark import pinpoint`, the mapping: Pinpoint journeys written by hand
 * from the API model (tests/fixtures/pinpoint/) in, workflows and reports out.
 * Every activity type, every condition form, the settings, the templates, and
 * malformed exports, each with the Pinpoint path it is reported at.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCatalogue } from '../../lib/engine/content';
import { validateWorkflow } from '../../lib/engine/validate';
import { ImportReport, importPinpointJourney, type PinpointImportInput, type ReportEntry, slugify } from '../../lib/import/pinpoint';
import { readJourneyExport, readSettingsExport, readTemplateExport, type TemplateExport } from '../../lib/import/pinpoint/read-exports';
import { zoneForUtcOffset } from '../../lib/import/pinpoint/settings';
import { handlebarsToLiquid } from '../../lib/import/pinpoint/templates';
import { EmailRenderer } from '../../lib/runtime/render';
import { templateProblems } from '../../lib/runtime/template-check';

const FIXTURES = 'tests/fixtures/pinpoint';
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

function template(name: string, fields: Record<string, unknown> = {}): TemplateExport {
  return readTemplateExport({ EmailTemplateResponse: { TemplateName: name, TemplateType: 'EMAIL', Subject: name, HtmlPart: `<p>${name}</p>`, ...fields } }, `${name}.json`, new ImportReport())!;
}

const fixtureTemplates = (): TemplateExport[] =>
  readdirSync(join(FIXTURES, 'templates')).map((file) => readTemplateExport(fixture(join('templates', file)), file, new ImportReport())!);

function importJourney(journey: unknown, options: Partial<PinpointImportInput> & { settingsFile?: unknown } = {}) {
  const { settingsFile, ...rest } = options;
  const reading = new ImportReport();
  const exported = readJourneyExport(journey, 'journey.json', reading);
  if (!exported) return { id: '', workflow: undefined, content: [], report: reading };
  const settings = settingsFile === undefined ? undefined : readSettingsExport(settingsFile, 'settings.json', reading);
  return importPinpointJourney({
    journey: exported,
    templates: [...fixtureTemplates(), template('Hello'), template('Bye')],
    identity: 'user',
    existingContent: [],
    budgetSupported: false,
    ...(settings ? { settings } : {}),
    ...rest,
  });
}

/** A minimal valid journey to vary: one email after a sign-up. */
function journeyWith(changes: Record<string, unknown>): Record<string, unknown> {
  return {
    Name: 'Small',
    StartCondition: { EventStartCondition: { EventFilter: { FilterType: 'SYSTEM', Dimensions: { EventType: { DimensionType: 'INCLUSIVE', Values: ['signup'] } } } } },
    StartActivity: 'Hello',
    Activities: { Hello: { EMAIL: { TemplateName: 'Hello', MessageConfig: { FromAddress: 'team@acme.example' } } } },
    ...changes,
  };
}

const entriesAt = (entries: readonly ReportEntry[], prefix: string) => entries.filter((e) => e.pinpoint.startsWith(prefix));
const errors = (result: { report: ImportReport }) => result.report.errors.map((e) => `${e.pinpoint}: ${e.note}`);

function validate(result: ReturnType<typeof importJourney>) {
  return validateWorkflow(result.workflow, { file: 'imported.json', catalogue: createCatalogue(result.content) });
}

describe('import pinpoint: activities', () => {
  it('maps every activity type and condition form of a journey to steps, keeping the activity ids', () => {
    // Prepare / Act
    const result = importJourney(fixture('every-activity.json'));

    // Assess
    expect(errors(result)).toEqual([]);
    expect(result.workflow!.start).toBe('start');
    expect(result.workflow!.steps).toEqual({
      start: { type: 'email', template: 'hello', next: 'waitfixed' },
      waitfixed: { type: 'wait', duration: 'PT12H', next: 'deadline' },
      deadline: { type: 'wait', name: 'Hold until Christmas Eve', at: '2026-12-24T09:00:00Z', next: 'yesnoevents' },
      yesnoevents: {
        type: 'wait',
        until: {
          on: {
            $or: [
              { 'detail-type': ['Email Opened'], detail: { stepId: ['start'] } },
              { 'detail-type': ['demo.booked'], detail: { attributes: { source: ['email'] }, metrics: { seats: [{ numeric: ['>', 5] }] } } },
            ],
          },
          timeout: 'P2D',
        },
        next: 'multievents',
        timeoutNext: 'yesnoprofile',
      },
      yesnoprofile: { type: 'wait', duration: 'PT1H', next: 'yesnoprofile-check' },
      'yesnoprofile-check': {
        type: 'branch',
        name: 'Attributes',
        cases: [
          { if: { profile: { tier: ['gold'], purchases: [{ numeric: ['>', 5] }] } }, next: 'mixed' },
          { if: { profile: { role: [{ 'anything-but': ['admin'] }] } }, next: 'mixed' },
        ],
        else: 'segmented',
      },
      segmented: {
        type: 'split',
        name: 'ConditionalSplit Segmented (not imported)',
        description: expect.stringContaining('every customer takes the "no" path'),
        paths: [{ weight: 100, next: 'holdout1' }],
      },
      mixed: { type: 'wait', until: { on: { 'detail-type': ['cart.updated'] }, timeout: 'P1D' }, next: 'mixed-check', timeoutNext: 'custom' },
      'mixed-check': { type: 'branch', name: 'Attributes', cases: [{ if: { profile: { plan: ['pro'] } }, next: 'random' }], else: 'custom' },
      multievents: {
        type: 'wait',
        until: { on: { $or: [{ 'detail-type': ['Email Clicked'], detail: { stepId: ['start'] } }, { 'detail-type': ['webinar.joined'] }] }, timeout: 'P1D' },
        next: 'multievents-which',
        timeoutNext: 'random',
      },
      'multievents-which': {
        type: 'branch',
        name: 'Which event',
        cases: [
          { if: { event: { 'detail-type': ['Email Clicked'], detail: { stepId: ['start'] } } }, next: 'push' },
          { if: { event: { 'detail-type': ['webinar.joined'] } }, next: 'contact' },
        ],
        else: 'random',
      },
      push: { type: 'split', name: 'PUSH Push (not imported)', description: expect.stringContaining('Waymark sends email only'), paths: [{ weight: 100, next: 'random' }] },
      contact: { type: 'split', name: 'ContactCenter Contact (not imported)', description: expect.stringContaining('Amazon Connect'), paths: [{ weight: 100, next: 'random' }] },
      custom: { type: 'exit', name: 'CUSTOM Custom (not imported)', description: expect.stringContaining('Lambda function or webhook') },
      random: { type: 'split', paths: [{ weight: 70, next: 'holdout1' }, { weight: 30, next: 'end' }] },
      holdout1: { type: 'holdout', percent: 10, next: 'bye' },
      bye: { type: 'email', template: 'bye' },
      end: { type: 'exit', name: 'End of journey' },
    });
  });

  it('maps the entry filter: INCLUSIVE to values, EXCLUSIVE to anything-but, CONTAINS to wildcard, metrics to numeric; date operators are reported', () => {
    const result = importJourney(fixture('every-activity.json'));

    expect(result.workflow!.entry.on).toEqual({
      'detail-type': ['page.viewed'],
      detail: {
        attributes: { path: [{ wildcard: '*pricing*' }], country: [{ 'anything-but': ['XX', 'YY'] }] },
        metrics: { visits: [{ numeric: ['>=', 3] }] },
      },
    });
    expect(entriesAt(result.report.entries, 'StartCondition.EventStartCondition.EventFilter.Dimensions.Attributes.signedUpAt')).toEqual([
      expect.objectContaining({ outcome: 'left-out', note: expect.stringContaining('the date comparison AFTER "2026-01-01T00:00:00Z" on detail.attributes.signedUpAt has no equivalent') }),
    ]);
  });

  it('reports what passes customers on instead of dropping it, and what became unreachable', () => {
    const result = importJourney(fixture('every-activity.json'));
    const leftOut = result.report.entries.filter((e) => e.outcome === 'left-out').map((e) => e.pinpoint);

    expect(leftOut).toEqual(
      expect.arrayContaining([
        'Activities.Segmented.ConditionalSplit.Condition.Conditions.0.SegmentCondition',
        'Activities.Segmented.ConditionalSplit',
        'Activities.Mixed.ConditionalSplit.Condition.Conditions.1.SegmentDimensions.Demographic',
        'Activities.MultiEvents.MultiCondition.Branches.2.Condition.SegmentCondition',
        'Activities.Push.PUSH',
        'Activities.Contact.ContactCenter',
        'Activities.Custom.CUSTOM',
        'Activities.Sms',
      ]),
    );
    expect(result.workflow!.steps).not.toHaveProperty('sms');
    expect(entriesAt(result.report.entries, 'Activities.Sms')).toEqual([
      { outcome: 'left-out', pinpoint: 'Activities.Sms', note: 'only reachable through a condition that was not carried over, so no customer can reach it', manual: 'reconnect it once the condition before it is rewritten' },
    ]);
    // Every activity is in the report.
    const activities = Object.keys((fixture('every-activity.json') as { Activities: object }).Activities);
    for (const activity of activities) expect(entriesAt(result.report.entries, `Activities.${activity}`).length, activity).toBeGreaterThan(0);
  });

  it('produces a valid workflow from the sample journey, lower-casing ids and keeping descriptions as names', () => {
    const result = importJourney(fixture('welcome-journey.json'), { settingsFile: fixture('application-settings.json') });

    expect(errors(result)).toEqual([]);
    expect(validate(result).problems).toEqual([]);
    expect(result.id).toBe('trial-welcome-2026');
    expect(Object.keys(result.workflow!.steps)).toEqual(['welcome', 'clickedwelcome', 'nudge', 'plansplit', 'protips', 'abtest', 'control', 'smsreminder', 'offer']);
    expect(result.workflow!.steps.clickedwelcome).toMatchObject({ name: 'Clicked the welcome email?', type: 'wait', next: 'plansplit', timeoutNext: 'nudge' });
    expect(result.content.map((c) => [c.id, c.kind])).toEqual([
      ['welcome-email', 'pinpoint'],
      ['nudge-email', 'pinpoint'],
      ['pro-tips-email', 'pinpoint'],
      ['offer-email', 'pinpoint'],
    ]);
  });

  it('maps segment dimensions with an ALL operator to one case, and ANY to one case per condition', () => {
    const split = (operator: string) =>
      journeyWith({
        StartActivity: 'Check',
        Activities: {
          Check: {
            ConditionalSplit: {
              Condition: {
                Operator: operator,
                Conditions: [
                  { SegmentDimensions: { UserAttributes: { plan: { AttributeType: 'INCLUSIVE', Values: ['pro'] } } } },
                  { SegmentDimensions: { Metrics: { seats: { ComparisonOperator: 'LESS_THAN_OR_EQUAL', Value: 10 } } } },
                ],
              },
              TrueActivity: 'Hello',
            },
          },
          Hello: { EMAIL: { TemplateName: 'Hello', MessageConfig: { FromAddress: 'team@acme.example' } } },
        },
      });

    expect(importJourney(split('ALL')).workflow!.steps.check).toEqual({
      type: 'branch',
      cases: [{ if: { profile: { plan: ['pro'], seats: [{ numeric: ['<=', 10] }] } }, next: 'hello' }],
      else: 'end',
    });
    expect(importJourney(split('ANY')).workflow!.steps.check).toEqual({
      type: 'branch',
      cases: [
        { if: { profile: { plan: ['pro'] } }, next: 'hello' },
        { if: { profile: { seats: [{ numeric: ['<=', 10] }] } }, next: 'hello' },
      ],
      else: 'end',
    });
    expect(validate(importJourney(split('ANY'))).problems).toEqual([]);
  });

  it('maps every metric comparison operator to a numeric matcher', () => {
    const operators = { GREATER_THAN: '>', LESS_THAN: '<', GREATER_THAN_OR_EQUAL: '>=', LESS_THAN_OR_EQUAL: '<=', EQUAL: '=' };
    for (const [operator, symbol] of Object.entries(operators)) {
      const result = importJourney(
        journeyWith({
          StartCondition: { EventStartCondition: { EventFilter: { Dimensions: { EventType: { Values: ['order'] }, Metrics: { total: { ComparisonOperator: operator, Value: 50 } } } } } },
        }),
      );
      expect(result.workflow!.entry.on, operator).toEqual({ 'detail-type': ['order'], detail: { metrics: { total: [{ numeric: [symbol, 50] }] } } });
    }
  });

  it.each(['BEFORE', 'AFTER', 'ON', 'BETWEEN'])('reports the date operator %s on a profile attribute, keeping the rest of the condition', (operator) => {
    const result = importJourney(
      journeyWith({
        StartActivity: 'Check',
        Activities: {
          Check: {
            ConditionalSplit: {
              Condition: {
                Conditions: [
                  {
                    SegmentDimensions: {
                      UserAttributes: {
                        renewsAt: { AttributeType: operator, Values: operator === 'BETWEEN' ? ['2026-01-01', '2026-02-01'] : ['2026-01-01'] },
                        plan: { AttributeType: 'CONTAINS', Values: ['pro*'] },
                      },
                    },
                  },
                ],
              },
              TrueActivity: 'Hello',
            },
          },
          Hello: { EMAIL: { TemplateName: 'Hello', MessageConfig: { FromAddress: 'team@acme.example' } } },
        },
      }),
    );

    expect(result.workflow!.steps.check).toEqual({ type: 'branch', cases: [{ if: { profile: { plan: [{ wildcard: '*pro\\**' }] } }, next: 'hello' }], else: 'end' });
    expect(entriesAt(result.report.entries, 'Activities.Check.ConditionalSplit.Condition.Conditions.0.SegmentDimensions.UserAttributes.renewsAt')).toEqual([
      expect.objectContaining({ outcome: 'left-out', note: expect.stringContaining(`the date comparison ${operator}`) }),
    ]);
    expect(validate(result).problems).toEqual([]);
  });

  it('turns an EXCLUSIVE event type into anything-but, with a warning that other events match too', () => {
    const result = importJourney(
      journeyWith({ StartCondition: { EventStartCondition: { EventFilter: { Dimensions: { EventType: { DimensionType: 'EXCLUSIVE', Values: ['test.ping'] } } } } } }),
    );

    expect(result.workflow!.entry.on).toEqual({ 'detail-type': [{ 'anything-but': ['test.ping'] }] });
    expect(entriesAt(result.report.entries, 'StartCondition.EventStartCondition.EventFilter.Dimensions.EventType')[0]).toMatchObject({ outcome: 'approximated', manual: expect.stringContaining('"source"') });
  });

  it('enters a journey that started from a segment on "Audience Joined" events for that segment', () => {
    const result = importJourney(fixture('segment-start.json'));

    expect(result.workflow!.entry.on).toEqual({ 'detail-type': ['Audience Joined'], detail: { audience: ['lapsed-customers-segment'] } });
    expect(entriesAt(result.report.entries, 'JourneyResponse.StartCondition.SegmentStartCondition')[0]).toMatchObject({ outcome: 'approximated', manual: expect.stringContaining('create-export-job') });
  });

  it('never lets an activity id become an invalid step id: lower-cased, at most 64 characters, unique', () => {
    const long = `A${'b'.repeat(99)}`;
    const result = importJourney(
      journeyWith({
        StartActivity: 'First',
        Activities: {
          First: { Wait: { WaitTime: { WaitFor: 'P1D' }, NextActivity: 'first' } },
          first: { Wait: { WaitTime: { WaitFor: 'P1D' }, NextActivity: long } },
          [long]: { EMAIL: { TemplateName: 'Hello', MessageConfig: { FromAddress: 'team@acme.example' } } },
        },
      }),
    );

    expect(Object.keys(result.workflow!.steps)).toEqual(['first', 'first-2', `a${'b'.repeat(63)}`]);
    expect(validate(result).problems).toEqual([]);
  });

  it('puts a re-entry cap above 1 in a first step that lets a customer through on entries 1 to the cap', () => {
    const result = importJourney(fixture('segment-start.json'));

    expect(result.workflow!.start).toBe('entry-cap');
    expect(result.workflow!.steps['entry-cap']).toEqual({
      type: 'branch',
      name: 'Re-entry cap: at most 3 entries',
      cases: [{ if: { journey: { entries: [{ numeric: ['<=', 3] }] } }, next: 'winback' }],
      else: 'end',
    });
    expect(result.workflow!.entry.reentry).toEqual({ after: 'P30D' });
    expect(validate(result).problems).toEqual([]);
  });
});

describe('import pinpoint: malformed exports', () => {
  it('a journey without StartActivity is an error naming the path', () => {
    const result = importJourney(fixture('missing-start-activity.json'));

    expect(result.workflow).toBeUndefined();
    expect(errors(result)).toEqual(['JourneyResponse.StartActivity: required: the id of the first activity']);
  });

  it('a NextActivity that names no activity is an error at that NextActivity', () => {
    const result = importJourney(fixture('dangling-next-activity.json'));

    expect(errors(result)).toEqual(['JourneyResponse.Activities.Pause.Wait.NextActivity: "FollowUp" names no activity (activities are "Welcome", "Pause")']);
  });

  it('a loop that never waits is an error naming the activities in it', () => {
    const result = importJourney(fixture('loop-without-wait.json'));

    expect(errors(result)).toEqual([
      'JourneyResponse.Activities.Welcome: a loop without a wait: Activities.Welcome → Activities.Again → Activities.Welcome would run forever at one instant',
    ]);
  });

  it('one run reports every problem: the loop too when its template is missing (no --templates)', () => {
    const result = importJourney(fixture('loop-without-wait.json'), { templates: [] });

    expect(errors(result)).toEqual([
      'JourneyResponse.Activities.Welcome.EMAIL.TemplateName: no export of the email template "WelcomeEmail" (no --templates given)',
      'JourneyResponse.Activities.Welcome: a loop without a wait: Activities.Welcome → Activities.Again → Activities.Welcome would run forever at one instant',
    ]);
    expect(result.workflow).toBeUndefined();
  });

  it('one run reports every problem: a missing sender beside a missing template, but no guess about senders when an activity could not be read', () => {
    const noSender = { EMAIL: { TemplateName: 'Missing' } };
    expect(errors(importJourney(journeyWith({ Activities: { Hello: noSender } }), { templates: [] }))).toEqual([
      'Activities.Hello.EMAIL.TemplateName: no export of the email template "Missing" (no --templates given)',
      'Activities.*.EMAIL.MessageConfig.FromAddress: no EMAIL activity names its sender (Pinpoint used the email channel\'s FromAddress, which the journey export does not include)',
    ]);
    // The unreadable activity might have named one.
    expect(errors(importJourney(journeyWith({ Activities: { Hello: noSender, Odd: { Description: 'empty' } } }), { templates: [] }))).toEqual([
      'Activities.Odd: an activity needs one of EMAIL, Wait, ConditionalSplit, MultiCondition, RandomSplit, Holdout, SMS, PUSH, CUSTOM, ContactCenter',
      'Activities.Hello.EMAIL.TemplateName: no export of the email template "Missing" (no --templates given)',
    ]);
  });

  it('a loop through a Wait activity is fine', () => {
    const result = importJourney(
      journeyWith({
        Activities: {
          Hello: { EMAIL: { TemplateName: 'Hello', MessageConfig: { FromAddress: 'team@acme.example' }, NextActivity: 'Later' } },
          Later: { Wait: { WaitTime: { WaitFor: 'P7D' }, NextActivity: 'Hello' } },
        },
      }),
    );

    expect(errors(result)).toEqual([]);
    expect(validate(result).problems).toEqual([]);
  });

  it.each([
    ['a StartActivity naming nothing', { StartActivity: 'Nope' }, 'StartActivity: "Nope" names no activity (activities are "Hello")'],
    ['no activities', { Activities: {} }, 'Activities: required: the journey has no activities'],
    ['an activity with no type', { Activities: { Hello: { Description: 'empty' } } }, 'Activities.Hello: an activity needs one of EMAIL, Wait, ConditionalSplit, MultiCondition, RandomSplit, Holdout, SMS, PUSH, CUSTOM, ContactCenter'],
    ['an activity with two types', { Activities: { Hello: { EMAIL: { TemplateName: 'Hello' }, SMS: {} } } }, 'Activities.Hello: an activity has one type; this one has EMAIL and SMS'],
    ['a wait with no time', { Activities: { Hello: { Wait: { NextActivity: 'Hello' } } } }, 'Activities.Hello.Wait.WaitTime: required: WaitFor (an ISO 8601 duration) or WaitUntil (an ISO 8601 time)'],
    ['a wait with a bad duration', { Activities: { Hello: { Wait: { WaitTime: { WaitFor: '3 days' } } } } }, 'Activities.Hello.Wait.WaitTime: WaitFor: "3 days" is not an ISO 8601 duration such as "P1D" or "PT12H"'],
    ['a random split path without a percentage', { Activities: { Hello: { RandomSplit: { Branches: [{ NextActivity: 'Hello' }] } } } }, 'Activities.Hello.RandomSplit.Branches.0.Percentage: required: a percentage from 0 to 100'],
    ['a holdout of 150%', { Activities: { Hello: { Holdout: { Percentage: 150 } } } }, 'Activities.Hello.Holdout.Percentage: a percentage from 0 to 100, not 150'],
    ['an email without a template', { Activities: { Hello: { EMAIL: { MessageConfig: { FromAddress: 'a@b.example' } } } } }, 'Activities.Hello.EMAIL.TemplateName: required: Waymark sends content items, and a journey email names its template'],
    ['a wrongly typed member', { Activities: { Hello: { Holdout: { Percentage: 'ten' } } } }, 'Activities.Hello.Holdout.Percentage: expected a number'],
    ['a wrongly typed limit', { Limits: { DailyCap: 'two' } }, 'Limits.DailyCap: expected a number'],
    ['activities that are a list', { Activities: [] }, 'Activities: expected an object'],
    ['no start condition', { StartCondition: undefined }, 'StartCondition: required: what makes a customer enter (an EventStartCondition or a SegmentStartCondition)'],
    ['an event split on an unknown message activity', {
      StartActivity: 'Split',
      Activities: {
        Split: { ConditionalSplit: { Condition: { Conditions: [{ EventCondition: { Dimensions: { EventType: { Values: ['_email.open'] } }, MessageActivity: 'Gone' } }] }, EvaluationWaitTime: { WaitFor: 'P1D' } } },
      },
    }, 'Activities.Split.ConditionalSplit.Condition.Conditions.0.EventCondition.MessageActivity: "Gone" names no activity'],
  ])('%s is an error naming the path', (_name, changes, expected) => {
    const result = importJourney(journeyWith(changes));

    expect(result.workflow).toBeUndefined();
    expect(errors(result)).toContain(expected);
  });

  it('a file that is not a journey says what was expected', () => {
    const result = importJourney(fixture('templates/WelcomeEmail.json'));

    expect(errors(result)).toEqual([
      'journey.json: $: not a Pinpoint journey: expected the output of `aws pinpoint get-journey` ({"JourneyResponse": {...}}) or a journey object with Name, StartActivity and Activities',
    ]);
  });

  it('a template with no export is an error with the command that exports it', () => {
    const result = importJourney(journeyWith({ Activities: { Hello: { EMAIL: { TemplateName: 'Missing', TemplateVersion: '4', MessageConfig: { FromAddress: 'a@b.example' } } } } }));

    expect(result.report.errors).toEqual([
      {
        outcome: 'error',
        pinpoint: 'Activities.Hello.EMAIL.TemplateName',
        note: 'no export of the email template "Missing"',
        manual: 'aws pinpoint get-email-template --template-name Missing --version 4 > templates/Missing.json, then pass --templates templates',
      },
    ]);
  });

  it('a journey without a sender needs --from', () => {
    const journey = journeyWith({ Activities: { Hello: { EMAIL: { TemplateName: 'Hello' } } } });

    expect(errors(importJourney(journey))).toEqual([
      "Activities.*.EMAIL.MessageConfig.FromAddress: no EMAIL activity names its sender (Pinpoint used the email channel's FromAddress, which the journey export does not include)",
    ]);
    expect(importJourney(journey, { from: 'Acme <team@acme.example>' }).workflow!.settings.from).toBe('Acme <team@acme.example>');
  });

  it('an event condition with a fixed evaluation time passes customers to the "no" path, reported', () => {
    const result = importJourney(
      journeyWith({
        StartActivity: 'Split',
        Activities: {
          Split: {
            ConditionalSplit: {
              Condition: { Conditions: [{ EventCondition: { Dimensions: { EventType: { Values: ['demo.booked'] } } } }] },
              EvaluationWaitTime: { WaitUntil: '2026-12-01T00:00:00Z' },
              TrueActivity: 'Hello',
              FalseActivity: 'Bye',
            },
          },
          Hello: { EMAIL: { TemplateName: 'Hello', MessageConfig: { FromAddress: 'a@b.example' } } },
          Bye: { EMAIL: { TemplateName: 'Bye' } },
        },
      }),
    );

    expect(result.workflow!.steps.split).toMatchObject({ type: 'split', paths: [{ weight: 100, next: 'bye' }] });
    expect(result.workflow!.steps).not.toHaveProperty('hello');
    expect(entriesAt(result.report.entries, 'Activities.Hello').filter((e) => e.outcome !== 'carried')).toEqual([expect.objectContaining({ outcome: 'left-out', note: expect.stringContaining('only reachable through a condition') })]);
  });
});

describe('import pinpoint: settings', () => {
  it('turns quiet time into the send window and DailyCap into a frequency cap; a whole-hour offset into Etc/GMT', () => {
    const result = importJourney(fixture('welcome-journey.json'));

    expect(result.workflow!.settings).toEqual({
      from: 'Ledgerly <hello@ledgerly.example>',
      timezone: 'Etc/GMT+5',
      sendWindow: { start: '08:00', end: '21:00' },
      frequencyCap: { max: 2, per: 'P1D' },
    });
    expect(result.workflow!.entry.reentry).toBe('never');
    expect(entriesAt(result.report.entries, 'JourneyResponse.Limits.MessagesPerSecond')[0]).toMatchObject({ outcome: 'left-out', manual: expect.stringContaining('-c sesMaxSendRate=50') });
  });

  it('uses open hours when SendingSchedule is on, reports the day that differs, closed days and other channels', () => {
    const result = importJourney(fixture('segment-start.json'));

    expect(result.workflow!.settings).toEqual({
      from: 'hello@ledgerly.example',
      timezone: 'Asia/Kolkata',
      sendWindow: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '10:00', end: '18:00' },
    });
    const outcomes = Object.fromEntries(result.report.entries.map((e) => [e.pinpoint, e.outcome]));
    expect(outcomes).toMatchObject({
      'JourneyResponse.OpenHours.EMAIL': 'approximated',
      'JourneyResponse.OpenHours.SMS': 'left-out',
      'JourneyResponse.ClosedDays.EMAIL.0': 'left-out',
      'JourneyResponse.QuietTime': 'carried',
      'JourneyResponse.Limits.TimeframeCap': 'left-out',
      'JourneyResponse.Limits.TotalCap': 'left-out',
      'JourneyResponse.Schedule.EndTime': 'left-out',
      'JourneyResponse.Schedule.Timezone': 'approximated',
      'JourneyResponse.RefreshFrequency': 'left-out',
    });
    expect(entriesAt(result.report.entries, 'JourneyResponse.OpenHours.EMAIL')[0]!.note).toContain('where Pinpoint had fri 10:00–16:00');
    expect(entriesAt(result.report.entries, 'JourneyResponse.ClosedDays.EMAIL.0')[0]!.note).toContain('"Diwali" (2026-11-08T00:00 to 2026-11-09T00:00)');
  });

  it('suggests the cross-journey budget from TimeframeCap, and writes it only where the language has it', () => {
    const without = importJourney(fixture('segment-start.json'));
    const withBudget = importJourney(fixture('segment-start.json'), { budgetSupported: true });

    expect(without.budget).toBeUndefined();
    expect(entriesAt(without.report.entries, 'JourneyResponse.Limits.TimeframeCap')[0]!.manual).toContain('{"budget":{"max":4,"per":"P7D"}} in workflows/settings.json');
    expect(withBudget.budget).toEqual({ max: 4, per: 'P7D' });
  });

  it('falls back to the application\'s quiet time and journey limits', () => {
    const journey = journeyWith({});
    const result = importJourney(journey, { settingsFile: fixture('application-settings.json') });

    expect(result.workflow!.settings.sendWindow).toEqual({ start: '07:00', end: '22:00' });
    expect(entriesAt(result.report.entries, 'settings.json: ApplicationSettingsResource.QuietTime')[0]).toMatchObject({ outcome: 'carried', note: expect.stringContaining("(the application's default)") });
    expect(entriesAt(result.report.entries, 'settings.json: ApplicationSettingsResource.JourneyLimits.TimeframeCap')[0]).toMatchObject({ outcome: 'left-out' });
    expect(entriesAt(result.report.entries, 'settings.json: ApplicationSettingsResource.JourneyLimits.DailyCap')[0]).toMatchObject({ outcome: 'left-out', note: expect.stringContaining('second cross-journey limit') });
  });

  it('says when Pinpoint skipped emails in quiet time that Waymark will hold', () => {
    const result = importJourney(journeyWith({ QuietTime: { Start: '00:00', End: '06:30' } }));

    expect(result.workflow!.settings.sendWindow).toEqual({ start: '06:30', end: '24:00' });
    expect(entriesAt(result.report.entries, 'WaitForQuietTime')[0]).toMatchObject({ outcome: 'approximated', note: expect.stringContaining('Pinpoint did not send an email due in quiet time') });
  });

  it.each([
    ['UTC', 'UTC'],
    ['UTC+01', 'Etc/GMT-1'],
    ['UTC-08', 'Etc/GMT+8'],
    ['UTC+13', 'Etc/GMT-13'],
    ['UTC+05:30', 'Asia/Kolkata'],
    ['UTC+05:45', 'Asia/Kathmandu'],
    ['UTC+08:45', 'Australia/Eucla'],
    ['UTC+09:30', 'Australia/Darwin'],
    ['UTC+03:30', 'Asia/Tehran'],
    ['GMT+1', undefined],
  ])('maps the offset %s to %s', (offset, zone) => {
    expect(zoneForUtcOffset(offset)).toBe(zone);
  });

  it('maps re-entry: cap 1 never, cap 0 after exit, an interval to "after"', () => {
    const reentry = (limits: object) => importJourney(journeyWith({ Limits: limits })).workflow!.entry.reentry;

    expect(reentry({ EndpointReentryCap: 1, EndpointReentryInterval: 'P1D' })).toBe('never');
    expect(reentry({ EndpointReentryCap: 0 })).toBe('after-exit');
    expect(reentry({ EndpointReentryCap: 0, EndpointReentryInterval: 'P14D' })).toEqual({ after: 'P14D' });
    expect(reentry({})).toBe('never');
  });
});

describe('import pinpoint: templates', () => {
  const render = async (liquid: string, profile: Record<string, unknown>) =>
    (await new EmailRenderer().render({ id: 'x', kind: 'pinpoint', subject: 's', html: liquid }, { profile, event: {}, journey: {}, unsubscribeUrl: 'u' })).html.split('\n')[0];

  it('converts variables, first elements and default substitutions', async () => {
    const { liquid, notes } = handlebarsToLiquid('Hi {{User.UserAttributes.FirstName.[0]}} of {{ Attributes.Company }} ({{Metrics.seats}})', { 'User.UserAttributes.FirstName': 'there' });

    expect(liquid).toBe('Hi {{ profile.FirstName | default: "there" }} of {{ profile.Company }} ({{ profile.seats }})');
    expect(notes).toEqual([]);
    expect(await render(liquid, { FirstName: 'Ana', Company: 'Acme', seats: 3 })).toBe('Hi Ana of Acme (3)');
    expect(await render(liquid, {})).toBe('Hi there of  ()');
  });

  it('converts if, else if, else, unless and eq with Handlebars truth: empty text is false', async () => {
    const source = '{{#if User.UserAttributes.Plan}}{{#eq User.UserAttributes.Plan "pro"}}Pro{{else}}Paid{{/eq}}{{else if Attributes.Trial}}Trial{{else}}Free{{/if}}{{#unless Attributes.Paid}}!{{/unless}}';
    const { liquid, notes } = handlebarsToLiquid(source);

    expect(notes).toEqual([]);
    expect(templateProblems(liquid)).toEqual([]);
    expect(await render(liquid, { Plan: 'pro', Paid: 'y' })).toBe('Pro');
    expect(await render(liquid, { Plan: 'team' })).toBe('Paid!');
    expect(await render(liquid, { Plan: '', Trial: 'y' })).toBe('Trial!');
    expect(await render(liquid, {})).toBe('Free!');
  });

  it('keeps an unconvertible helper as a Liquid comment, reported with its line, and the result still parses', async () => {
    const source = '<ul>\n{{#each User.UserAttributes.Interests}}<li>{{this}}</li>{{/each}}\n</ul>\n<p>{{formatDate Attributes.Renews "MMM d"}}</p>\n{{Recommendations.Item}}';
    const { liquid, notes } = handlebarsToLiquid(source);

    expect(templateProblems(liquid)).toEqual([]);
    expect(notes.map((n) => [n.line, n.source, n.converted])).toEqual([
      [2, '{{#each User.UserAttributes.Interests}}', false],
      [4, '{{formatDate Attributes.Renews "MMM d"}}', false],
      [5, '{{Recommendations.Item}}', false],
    ]);
    expect(await render(liquid, { Interests: ['a', 'b'] })).toBe('<ul>');
  });

  it('converts toUpper, toLower and trim to filters, escapes stray Liquid, notes triple braces', async () => {
    const { liquid, notes } = handlebarsToLiquid('{{toUpper Attributes.Plan}} {{{User.UserAttributes.Bio}}} 100{% off {{! a note }}');

    expect(liquid).toBe('{{ profile.Plan | upcase }} {{ profile.Bio }} 100{% raw %}{%{% endraw %} off {% comment %}a note{% endcomment %}');
    expect(notes).toEqual([expect.objectContaining({ line: 1, converted: true, message: expect.stringContaining('Waymark escapes every value in html') })]);
    expect(await render(liquid, { Plan: 'pro', Bio: '<b>x</b>' })).toBe('PRO &lt;b&gt;x&lt;/b&gt; 100{% off ');
  });

  it('maps the customer id to the user id or, with --customer endpoint, the endpoint id', () => {
    expect(handlebarsToLiquid('{{User.UserId}}', {}, 'user').liquid).toBe('{{ profile.customerId }}');
    expect(handlebarsToLiquid('{{EndpointId}}', {}, 'endpoint').liquid).toBe('{{ profile.customerId }}');
    expect(handlebarsToLiquid('{{EndpointId}}', {}, 'user').notes).toHaveLength(1);
  });

  it('reports a template without a subject or html, and still makes a valid item', () => {
    const result = importJourney(journeyWith({}), {
      templates: [template('Hello', { Subject: undefined, HtmlPart: undefined, TextPart: 'Hi {{User.UserAttributes.FirstName}} & co' })],
    });

    expect(result.content).toEqual([{ id: 'hello', kind: 'pinpoint', subject: 'Hello', html: '<pre>Hi {{ profile.FirstName }} &amp; co</pre>', text: 'Hi {{ profile.FirstName }} & co' }]);
    expect(validate(result).problems).toEqual([]);
    expect(entriesAt(result.report.entries, 'Hello.json').filter((e) => e.outcome === 'approximated').map((e) => e.pinpoint)).toEqual(['Hello.json: EmailTemplateResponse.Subject', 'Hello.json: EmailTemplateResponse.TextPart']);
  });

  it('reuses an identical item already in the catalogue, and renames on a clash with a different one', () => {
    const hello = { id: 'hello', kind: 'pinpoint', subject: 'Hello', html: '<p>Hello</p>' };
    const reused = importJourney(journeyWith({}), { existingContent: [{ item: hello, file: 'content/pinpoint-other.json' }] });
    const clashing = importJourney(journeyWith({}), { existingContent: [{ item: { ...hello, subject: 'Other' }, file: 'content/other.json' }] });
    const replaced = importJourney(journeyWith({}), { existingContent: [{ item: { ...hello, subject: 'Old' }, file: 'content/pinpoint-small.json' }] });

    expect(reused.content).toEqual([]);
    expect(reused.workflow!.steps.hello).toMatchObject({ template: 'hello' });
    expect(clashing.content.map((c) => c.id)).toEqual(['hello-small']);
    expect(clashing.workflow!.steps.hello).toMatchObject({ template: 'hello-small' });
    expect(replaced.content.map((c) => c.id)).toEqual(['hello']);
  });

  it('slugifies journey names into workflow ids', () => {
    expect(slugify('TrialWelcome_2026')).toBe('trial-welcome-2026');
    expect(slugify('Winback-Lapsed')).toBe('winback-lapsed');
    expect(slugify('NPSSurvey')).toBe('nps-survey');
    expect(slugify('Été  promo!!')).toBe('ete-promo');
  });
});
