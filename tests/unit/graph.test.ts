/**
 * The one-line summaries of the journey map and the report: each step type, and each form of a
 * wait, read as a marketer would say it. A workflow with one step of every form is checked as a
 * whole, so a new form without a summary shows up here as "undefined" rather than in a report.
 */
import { describe, expect, it } from 'vitest';
import { describeMoment, humanInstant, journeyGraph } from '../../lib/engine/graph';
import { Step, type Workflow, Workflow as WorkflowSchema } from '../../lib/engine/schema';

/** Every step type and every form of a wait and an email, in one (valid) chain. */
const everyForm: Workflow = WorkflowSchema.parse({
  id: 'every-form',
  version: 1,
  name: 'Every form',
  entry: { on: { 'detail-type': ['lead.captured'] } },
  settings: { from: 'Acme <hello@acme.example>' },
  start: 'by-template',
  steps: {
    'by-template': { type: 'email', template: 'welcome', next: 'by-kind' },
    'by-kind': { type: 'email', content: { kind: 'article' }, next: 'by-tags' },
    'by-tags': { type: 'email', content: { kind: 'article', tags: ['intro', 'setup'] }, next: 'pause' },
    pause: { type: 'wait', duration: 'P2DT12H', next: 'clicked?' },
    'clicked?': { type: 'wait', until: { on: { 'detail-type': ['Email Clicked'] }, timeout: 'P3D' }, next: 'last-morning', timeoutNext: 'last-morning' },
    'last-morning': { type: 'wait', at: '2026-12-31T14:00:00Z', next: 'week-before-renewal' },
    'week-before-renewal': { type: 'wait', at: { attribute: 'profile.renewsAt', offset: '-P7D' }, next: 'after-delivery' },
    'after-delivery': { type: 'wait', at: { attribute: 'event.detail.deliveryDate', offset: 'PT9H' }, next: 'on-renewal' },
    'on-renewal': { type: 'wait', at: { attribute: 'profile.renewsAt' }, next: 'plan?' },
    'plan?': { type: 'branch', cases: [{ if: { profile: { plan: ['pro'] } }, next: 'ab' }], else: 'ab' },
    ab: { type: 'split', paths: [{ weight: 1, next: 'control' }, { weight: 3, next: 'control' }] },
    control: { type: 'holdout', percent: 10, next: 'mark' },
    mark: { type: 'stage', stage: 'decision', next: 'done' },
    done: { type: 'exit' },
  },
});

const summaries = Object.fromEntries(journeyGraph(everyForm).steps.map((step) => [step.id, step.summary]));

describe('step summaries', () => {
  it('covers every step type the schema knows', () => {
    const types = new Set(Step.options.map((option) => option.shape.type.value));
    expect(new Set(Object.values(everyForm.steps).map((step) => step.type))).toEqual(types);
  });

  it('never says "undefined", for any step type or wait form', () => {
    for (const [id, summary] of Object.entries(summaries)) {
      expect(summary, id).not.toMatch(/undefined|NaN|\[object/);
      expect(summary.length, id).toBeGreaterThan(0);
    }
  });

  it('reads each form as a sentence fragment', () => {
    expect(summaries).toEqual({
      'by-template': 'template welcome',
      'by-kind': 'article',
      'by-tags': 'article #intro #setup',
      pause: 'wait 2 days 12 hours',
      'clicked?': 'wait for Email Clicked, up to 3 days',
      'last-morning': 'wait until 31 Dec 2026 14:00 UTC',
      'week-before-renewal': 'wait until 7 days before profile.renewsAt',
      'after-delivery': 'wait until 9 hours after event.detail.deliveryDate',
      'on-renewal': 'wait until profile.renewsAt',
      'plan?': '1 case, else ab',
      ab: '25% / 75%',
      control: '10% held out',
      mark: 'stage → decision',
      done: 'journey ends',
    });
  });
});

describe('wait.at for people', () => {
  it('writes an instant in UTC, whatever zone it was given in, with seconds only when there are some', () => {
    expect(humanInstant('2026-12-31T14:00:00Z')).toBe('31 Dec 2026 14:00 UTC');
    expect(humanInstant('2026-12-24T09:00:00+01:00')).toBe('24 Dec 2026 08:00 UTC');
    expect(humanInstant('2027-01-05T07:30:15.000Z')).toBe('5 Jan 2027 07:30:15 UTC');
  });

  it('says before or after the attribute, and leaves out an offset of nothing', () => {
    expect(describeMoment({ attribute: 'profile.renewsAt', offset: '-P1W' })).toBe('1 week before profile.renewsAt');
    expect(describeMoment({ attribute: 'profile.renewsAt', offset: '+P1D' })).toBe('1 day after profile.renewsAt');
    expect(describeMoment({ attribute: 'profile.renewsAt', offset: 'PT0S' })).toBe('profile.renewsAt');
  });
});
