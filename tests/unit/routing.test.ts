/**
 * The rules compiled from workflows: an entry written as `$or` (a lead, or an audience's members)
 * is routed alternative by alternative, and the profile rule leaves out every detail-type a
 * workflow rule already routes, so no event reaches the queue twice.
 */
import { describe, expect, it } from 'vitest';
import { compilePattern } from '../../lib/engine/patterns';
import { alternativesOf, profileRulePatterns, rulePatternsFor } from '../../lib/engine/routing';
import { defineWorkflow } from '../support/journeys';

const webinarOrLead = defineWorkflow({
  id: 'nurture',
  entry: { on: { $or: [{ 'detail-type': ['lead.captured'] }, { 'detail-type': ['Audience Joined'], detail: { audience: ['spring-webinar'] } }] } },
  steps: { hello: { type: 'email', template: 'article-1' } },
});

describe('alternativesOf', () => {
  it('splits a top-level $or, copying the other fields into each alternative', () => {
    expect(alternativesOf({ source: ['com.acme'], $or: [{ 'detail-type': ['a'] }, { 'detail-type': ['b'], detail: { x: [1] } }] } as never)).toEqual([
      { source: ['com.acme'], 'detail-type': ['a'] },
      { source: ['com.acme'], 'detail-type': ['b'], detail: { x: [1] } },
    ]);
  });

  it('leaves a pattern alone when an alternative names a field the rest also names (merging would change its meaning)', () => {
    const pattern = { detail: { plan: ['pro'] }, $or: [{ detail: { seats: [{ numeric: ['>', 5] }] } }, { 'detail-type': ['b'] }] } as never;
    expect(alternativesOf(pattern)).toEqual([pattern]);
  });

  it('matches exactly what the pattern matched', () => {
    const pattern = { source: ['com.acme'], $or: [{ 'detail-type': ['a'] }, { detail: { audience: ['x'] } }] } as never;
    const events = [
      { source: 'com.acme', 'detail-type': 'a', detail: {} },
      { source: 'com.acme', 'detail-type': 'c', detail: { audience: 'x' } },
      { source: 'com.other', 'detail-type': 'a', detail: {} },
      { source: 'com.acme', 'detail-type': 'c', detail: { audience: 'y' } },
    ];
    const whole = compilePattern(pattern);
    const parts = alternativesOf(pattern).map(compilePattern);
    expect(events.map((e) => parts.some((m) => m(e)))).toEqual(events.map((e) => whole(e)));
    expect(events.map((e) => whole(e))).toEqual([true, true, false, false]);
  });
});

describe('the rules of a workflow that enters on a lead or an audience', () => {
  it('list each alternative of the entry beside the goal and exits', () => {
    const [rule] = rulePatternsFor([webinarOrLead]);
    const alternatives = (rule as { $or?: Array<Record<string, unknown>> }).$or ?? [rule as Record<string, unknown>];
    expect(alternatives.map((a) => [a['detail-type'], a.detail])).toEqual([
      [['lead.captured'], undefined],
      [['Audience Joined'], { audience: ['spring-webinar'] }],
    ]);
  });

  it('leave lead.captured out of the profile rule (the workflow rule routes it by type) but not an audience of another name', () => {
    const [profileRule] = profileRulePatterns([webinarOrLead], [['email']]);
    const routesForProfile = compilePattern(profileRule!);
    const withProfile = (detailType: string, detail: Record<string, unknown> = {}) => ({ source: 'com.acme', 'detail-type': detailType, detail: { customerId: 'c', profile: { email: 'a@b.co' }, ...detail } });
    expect(routesForProfile(withProfile('lead.captured'))).toBe(false);
    expect(routesForProfile(withProfile('lesson.requested'))).toBe(true);
    // The workflow rule takes "Audience Joined" of spring-webinar only: another audience's profile still travels.
    expect(routesForProfile(withProfile('Audience Joined', { audience: 'other' }))).toBe(true);
  });
});
