/**
 * What the demo audience sends for a workflow it has never seen (lib/dev/demo-plan.ts): events that
 * match the workflow's own patterns, and profiles that take every branch.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../lib/dev/demo';
import { demoStories, entryExample } from '../../lib/dev/demo-plan';
import { matchesPattern } from '../../lib/engine/patterns';
import { Workflow } from '../../lib/engine/schema';

const lessons = Workflow.parse({
  id: 'lesson-trial',
  version: 1,
  name: 'Lesson trial',
  entry: { on: { source: ['com.tutorly.web'], 'detail-type': ['lesson.requested'], detail: { profile: { country: ['PT'] } } } },
  goal: { on: { 'detail-type': ['subscription.started'] }, then: 'thanks?' },
  exitOn: [{ 'detail-type': ['account.closed'] }, { source: ['aws.ses'], 'detail-type': ['Email Bounced'] }],
  settings: { from: 'Tutorly <hello@tutorly.example>' },
  start: 'level?',
  steps: {
    'level?': {
      type: 'branch',
      cases: [
        { if: { profile: { level: ['advanced'] } }, next: 'renewal' },
        { if: { profile: { lessonsTaken: [{ numeric: ['>=', 10] }] } }, next: 'renewal' },
      ],
      else: 'booked?',
    },
    renewal: { type: 'wait', at: { attribute: 'profile.renewsAt', offset: '-P7D' }, next: 'booked?' },
    'booked?': { type: 'wait', until: { on: { 'detail-type': ['lesson.booked'] }, timeout: 'P2D' }, next: 'format?', timeoutNext: 'clicked?' },
    'format?': { type: 'branch', cases: [{ if: { event: { detail: { format: ['group'] } } }, next: 'done' }], else: 'done' },
    'clicked?': { type: 'wait', until: { on: { 'detail-type': ['Email Clicked'] }, timeout: 'P1D' }, next: 'done', timeoutNext: 'done' },
    'thanks?': { type: 'branch', cases: [{ if: { event: { detail: { plan: ['yearly'] } } }, next: 'done' }], else: 'done' },
    done: { type: 'exit' },
  },
});

const person = { email: 'ana@example.com', firstName: 'Ana', lastName: 'Silva', timezone: 'Europe/Lisbon' };
const NOW = Date.parse('2026-11-02T14:00:00Z');

describe('demoStories', () => {
  const [story] = demoStories([lessons]);

  it('makes entry events that match the entry pattern, with the profile every workflow needs and the one the pattern requires', () => {
    const random = seededRandom(1);
    for (let i = 0; i < 50; i++) {
      const event = story!.entry(random, person, NOW);
      expect(matchesPattern(lessons.entry.on, { source: event.source, 'detail-type': event.detailType, detail: event.detail })).toBe(true);
      expect(event.detail.profile).toMatchObject({ ...person, country: 'PT' });
      expect(event.detail.channel).toEqual(expect.any(String));
    }
  });

  it('draws the profile attributes branches read so that every case and the else are taken', () => {
    const random = seededRandom(2);
    const taken = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const profile = story!.entry(random, person, NOW).detail.profile as Record<string, unknown>;
      const step = lessons.steps['level?'];
      if (step?.type !== 'branch') throw new Error('a branch');
      const index = step.cases.findIndex((c) => matchesPattern(c.if, { profile, event: {}, journey: {} }));
      taken.add(index < 0 ? 'else' : `case ${index + 1}`);
      // A wait.at reads a date from the profile: one is there, in the weeks ahead.
      expect(Date.parse(String(profile.renewsAt))).toBeGreaterThan(NOW);
    }
    expect([...taken].sort()).toEqual(['case 1', 'case 2', 'else']);
  });

  it('answers waits for events with the fields the branches after them read; waits for clicks are left to the SES events', () => {
    const random = seededRandom(3);
    expect([...story!.awaited.keys()]).toEqual(['booked?']);
    const formats = new Set(Array.from({ length: 40 }, () => story!.awaited.get('booked?')!(random).detail.format));
    expect(formats.has('group')).toBe(true);
    expect(formats.size).toBeGreaterThan(1);
    expect(story!.awaited.get('booked?')!(random)).toMatchObject({ source: 'com.tutorly.app', detailType: 'lesson.booked' });
  });

  it('sends the goal (with what the step after it reads) and the exits, but never an SES event as a producer', () => {
    const random = seededRandom(4);
    const plans = new Set(Array.from({ length: 40 }, () => story!.goal!(random).detail.plan));
    expect(plans.has('yearly')).toBe(true);
    expect(story!.exits.map((exit) => exit(random).detailType)).toEqual(['account.closed']);
  });

  it('gives fewer direct arrivals to a workflow entered by another one\'s goal', () => {
    const onboarding = Workflow.parse({ ...lessons, id: 'onboarding', entry: { on: { 'detail-type': ['subscription.started'] } } });
    expect(demoStories([lessons, onboarding]).map((s) => s.arrivalWeight)).toEqual([1, 0.25]);
  });
});

describe('entryExample', () => {
  it('is the workflow\'s entry event with a customer id and a profile carrying an email', () => {
    const example = entryExample(lessons);
    expect(example).toMatchObject({ Source: 'com.tutorly.web', DetailType: 'lesson.requested' });
    const detail = JSON.parse(example.Detail) as Record<string, unknown>;
    expect(detail).toEqual({ customerId: 'c-1', profile: { email: 'c1@example.com', firstName: 'Sam', country: 'PT' } });
    expect(matchesPattern(lessons.entry.on, { source: example.Source, 'detail-type': example.DetailType, detail })).toBe(true);
  });
});
