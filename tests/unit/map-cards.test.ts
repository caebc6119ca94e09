/**
 * The journey map's step cards (lib/dev/web/cards.ts): the tooltip of a card
 * lists every count of the step, and says how many of its deferred and skipped
 * emails the send budget across journeys held or skipped, apart from the send
 * window and the frequency cap (README, "The send budget across journeys").
 */
import { describe, expect, it } from 'vitest';
import type { StepMetrics, StepView } from '../../lib/dev/api-types';
import { stepTooltip } from '../../lib/dev/web/cards';

const email: Pick<StepView, 'type' | 'label' | 'summary' | 'stage'> = { type: 'email', label: 'Year-end offer', summary: 'template year-end-offer', stage: 'decision' };
const counts = (metrics: Partial<StepMetrics>) => ({ entered: 0, waiting: 0, sent: 0, opened: 0, clicked: 0, deferred: 0, skipped: 0, deferredByBudget: 0, skippedByBudget: 0, failed: 0, bounced: 0, complained: 0, unsubscribed: 0, converted: 0, dropped: 0, ...metrics });

describe('step card tooltip', () => {
  it('tells the emails held or skipped by the send budget apart from those held by the window or the cap', () => {
    const lines = stepTooltip(email, counts({ entered: 1200, sent: 1000, deferred: 450, deferredByBudget: 300, skipped: 60, skippedByBudget: 40 }));

    expect(lines).toContain('deferred: 450 (300 held by the send budget, 150 by the window or the cap)');
    expect(lines).toContain('skipped: 60 (40 over the send budget)');
  });

  it('says nothing of the budget when it held nothing back', () => {
    const lines = stepTooltip(email, counts({ entered: 10, sent: 8, deferred: 2, skipped: 1 }));

    expect(lines).toEqual([
      'Year-end offer (email) · template year-end-offer',
      'stage: decision',
      'entered: 10',
      'waiting: 0',
      'sent: 8',
      'opened: 0',
      'clicked: 0',
      'deferred: 2',
      'skipped: 1',
      'failed: 0',
      'bounced: 0',
      'complained: 0',
      'unsubscribed: 0',
      'converted: 0',
      'dropped: 0',
      'click to list the customers here',
    ]);
  });

  it("lists a wait's email counts only when not zero, and a holdout's finished customers as held out", () => {
    expect(stepTooltip({ type: 'wait', label: 'clicked?', summary: 'wait for Email Clicked, 3 days', stage: null }, counts({ entered: 5, waiting: 2 }))).toEqual([
      'clicked? (wait) · wait for Email Clicked, 3 days',
      'stage: –',
      'entered: 5',
      'waiting: 2',
      'converted: 0',
      'dropped: 0',
      'click to list the customers here',
    ]);
    expect(stepTooltip({ type: 'holdout', label: 'holdout', summary: '5% holdout', stage: null }, counts({ entered: 100, dropped: 5 }))).toContain('held out: 5');
  });
});
