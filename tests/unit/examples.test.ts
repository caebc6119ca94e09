/**
 * The example event files in workflows/examples/, run through the sample
 * journeys: the emails, their order and their times are what the workflows say.
 * The comments explain each time from the workflow's rules.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runTimeline, timelineFromJsonLines } from '../../lib/runtime/local-runner';
import { WorkflowRegistry } from '../../lib/runtime/registry';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';

const loaded = loadValidWorkflows(['workflows']);
const registry = WorkflowRegistry.fromLoaded(loaded);

async function runExample(name: string) {
  const result = await runTimeline(registry, timelineFromJsonLines(readFileSync(`workflows/examples/${name}`, 'utf8')));
  return { ...result, lines: result.emails.map((e) => `${new Date(e.at).toISOString().slice(0, 16)} ${e.customerId} ${e.workflowId}/${e.stepId} ${e.contentId}`) };
}

describe('workflows/examples/cold-traffic.jsonl', () => {
  it('sends education first, reacts to clicks, respects the weekday window and the cap, and sunsets silent leads', async () => {
    const { lines } = await runExample('cold-traffic.jsonl');
    expect(lines).toEqual([
      '2026-11-02T14:05 c-ana cold-traffic-nurture/welcome article-get-paid-faster', // Monday 09:05 in New York: inside the window
      '2026-11-02T16:00 c-dev cold-traffic-nurture/welcome article-get-paid-faster',
      '2026-11-03T10:00 c-ben cold-traffic-nurture/welcome article-get-paid-faster', // Tuesday 10:00 in London (his profile's zone)
      '2026-11-03T15:00 c-ana cold-traffic-nurture/guide guide-spreadsheets-vs-software', // her click ends the wait: consideration
      '2026-11-05T15:00 c-ana cold-traffic-nurture/testimonial testimonial-freelance-designer', // 2 days later
      '2026-11-06T10:00 c-ben cold-traffic-nurture/article-2 article-invoice-mistakes', // no click in 3 days: a second intro article
      // Ana clicked the testimonial on Thursday 15:00 New York and is on a trial: the demo is capped (1 per 20 h)
      // until Friday 06:00, then waits for the window to open at 09:00 New York (14:00 UTC).
      '2026-11-06T14:00 c-ana cold-traffic-nurture/demo book-a-demo',
      '2026-11-09T14:00 c-cara cold-traffic-nurture/welcome article-get-paid-faster', // captured on Saturday: Monday 09:00
      '2026-11-09T17:00 c-ana post-purchase/welcome welcome-aboard', // her order converts her and starts post-purchase
      '2026-11-11T17:00 c-ana post-purchase/tip-1 onboarding-connect-bank-feed',
      '2026-11-14T17:00 c-ana post-purchase/tip-2 onboarding-automatic-reminders',
      '2026-11-17T10:00 c-ben cold-traffic-nurture/article-3 article-cash-flow-basics', // 4 more silent days, then a 7-day slow-down
      '2026-11-21T17:00 c-ana post-purchase/survey survey-nps',
      '2026-11-28T17:00 c-ana post-purchase/loyalty loyalty-annual-plan', // no survey answer in 7 days
      '2026-12-01T10:00 c-ben cold-traffic-nurture/sunset still-interested', // 14 silent days: "should we stop emailing you?"
    ]);
  });

  it('ends each customer where the journey says, and reports the unusable lines', async () => {
    const result = await runExample('cold-traffic.jsonl');
    expect(result.customers.map((c) => `${c.customerId} ${c.workflowId} ${c.status} ${c.stage}`)).toEqual([
      'c-ana cold-traffic-nurture converted purchase',
      'c-ana post-purchase completed retention',
      'c-ben cold-traffic-nurture completed awareness',
      'c-cara cold-traffic-nurture exited awareness', // lead.disqualified is an exitOn event
      'c-dev cold-traffic-nurture suppressed awareness', // complained: the next email is never sent
    ]);
    expect(result.rejected).toEqual([
      { line: 13, reason: 'detail.customerId: required: "customerId", the customer the event is about' },
      { line: 14, reason: 'time: expected an ISO 8601 time with a zone, e.g. "2026-11-23T09:30:00Z"' },
    ]);
  });
});

describe('workflows/examples/post-purchase.jsonl', () => {
  it('onboards, surveys, and routes promoters to reviews and referrals and detractors to support', async () => {
    const { lines, customers } = await runExample('post-purchase.jsonl');
    expect(lines).toEqual([
      '2026-11-02T15:00 p-fay post-purchase/welcome welcome-aboard',
      '2026-11-03T13:00 p-gus post-purchase/welcome welcome-aboard', // ordered at 20:00 New York, the window's end: 08:00 next morning
      '2026-11-04T15:00 p-fay post-purchase/tip-1 onboarding-connect-bank-feed',
      '2026-11-04T16:00 p-hal post-purchase/welcome welcome-aboard', // 06:00 in Los Angeles: waits for 08:00 there
      '2026-11-05T13:00 p-gus post-purchase/tip-1 onboarding-connect-bank-feed',
      '2026-11-05T16:00 p-ivy post-purchase/welcome welcome-aboard',
      '2026-11-06T16:00 p-hal post-purchase/tip-1 onboarding-connect-bank-feed',
      '2026-11-07T15:00 p-fay post-purchase/tip-2 onboarding-automatic-reminders',
      '2026-11-08T13:00 p-gus post-purchase/tip-2 onboarding-automatic-reminders',
      '2026-11-09T16:00 p-hal post-purchase/tip-2 onboarding-automatic-reminders',
      '2026-11-14T15:00 p-fay post-purchase/survey survey-nps',
      '2026-11-15T13:00 p-gus post-purchase/survey survey-nps',
      '2026-11-15T14:00 p-fay post-purchase/review review-request-public', // scored 10: a promoter
      '2026-11-16T15:00 p-gus post-purchase/support support-personal-follow-up', // scored 3: a detractor
      '2026-11-16T16:00 p-hal post-purchase/survey survey-nps',
      '2026-11-20T14:00 p-fay post-purchase/referral referral-give-a-month',
      '2026-11-21T18:30 p-fay post-purchase/loyalty loyalty-annual-plan', // her referral is the goal: jump to the loyalty offer
      '2026-11-23T16:00 p-hal post-purchase/loyalty loyalty-annual-plan', // never answered the survey
      '2026-11-30T15:00 p-gus post-purchase/loyalty loyalty-annual-plan', // 14 days after the support follow-up
    ]);
    expect(customers.map((c) => `${c.customerId} ${c.status} ${c.stage}`)).toEqual([
      'p-fay completed advocacy',
      'p-gus completed retention',
      'p-hal completed retention',
      'p-ivy exited purchase', // refunded
    ]);
  });
});
