/**
 * `waymark dev --demo` drives any workflow, not only the sample's: given only a new workflow with
 * event names of its own (a lesson is requested, a subscription started, a lesson booked) and its
 * content, the demo audience enters customers, the journey sends them emails through the local SES
 * server, both sides of a branch on a profile attribute and of a branch on the awaited event are
 * taken, and some customers convert.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Overview } from '../../lib/dev/api-types';
import { type DevServer, startDev } from '../../lib/dev/dev-server';
import { localSes } from '../../lib/runtime/local-servers';

const HOUR = 3_600_000;

const workflow = {
  id: 'lesson-trial',
  version: 1,
  name: 'Lesson trial',
  entry: { on: { source: ['com.tutorly.web'], 'detail-type': ['lesson.requested'] } },
  goal: { on: { 'detail-type': ['subscription.started'] } },
  exitOn: [{ 'detail-type': ['account.closed'] }],
  settings: { from: 'Tutorly <hello@tutorly.example>' },
  start: 'level?',
  steps: {
    'level?': { type: 'branch', cases: [{ if: { profile: { level: ['advanced'] } }, next: 'advanced-welcome' }], else: 'beginner-welcome' },
    'advanced-welcome': { type: 'email', template: 'advanced-welcome', next: 'booked?' },
    'beginner-welcome': { type: 'email', template: 'beginner-welcome', next: 'booked?' },
    'booked?': { type: 'wait', until: { on: { 'detail-type': ['lesson.booked'] }, timeout: 'P2D' }, next: 'format?', timeoutNext: 'reminder' },
    'format?': { type: 'branch', cases: [{ if: { event: { detail: { format: ['group'] } } }, next: 'group-tips' }], else: 'private-tips' },
    'group-tips': { type: 'email', template: 'group-tips', next: 'think-it-over' },
    'private-tips': { type: 'email', template: 'private-tips', next: 'think-it-over' },
    reminder: { type: 'email', template: 'book-reminder', next: 'think-it-over' },
    'think-it-over': { type: 'wait', duration: 'P1D', next: 'offer' },
    offer: { type: 'email', template: 'first-month-offer' },
  },
};

const item = (id: string, kind: string, subject: string) => ({
  id,
  kind,
  subject,
  html: `<p>Hi {{ profile.firstName | default: 'there' }},</p><p>${subject}.</p><p><a href="{{ unsubscribeUrl }}">Unsubscribe</a></p>`,
});
const content = [
  item('advanced-welcome', 'onboarding', 'Ready for advanced lessons'),
  item('beginner-welcome', 'onboarding', 'Your first lesson, step by step'),
  item('group-tips', 'guide', 'Getting the most of a group lesson'),
  item('private-tips', 'guide', 'Getting the most of a private lesson'),
  item('book-reminder', 'article', 'Your lesson is waiting to be booked'),
  item('first-month-offer', 'offer', 'Your first month at half price'),
];

let server: DevServer;
const logged: string[] = [];

beforeAll(async () => {
  const directory = mkdtempSync(join(tmpdir(), 'waymark-demo-'));
  mkdirSync(join(directory, 'workflows', 'content'), { recursive: true });
  writeFileSync(join(directory, 'workflows', 'lesson-trial.json'), JSON.stringify(workflow, null, 2));
  writeFileSync(join(directory, 'workflows', 'content', 'lessons.json'), JSON.stringify(content, null, 2));
  server = await startDev({
    workflowsDirectory: join(directory, 'workflows'),
    port: 0,
    sesPort: 0,
    dynamoPort: 0,
    host: '127.0.0.1',
    dataDirectory: join(directory, 'data'),
    fresh: true,
    // Real time, moved forward by the test: a simulated hour at a time, as the demo's events fall due.
    speed: 1,
    start: Date.parse('2026-11-02T14:00:00Z'),
    demo: true,
    seed: 7,
    log: (line) => logged.push(line),
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe('waymark dev --demo with a workflow of its own', () => {
  it('enters customers, sends their emails, takes every branch and converts some, with nothing failing', { timeout: 240_000 }, async () => {
    // Five simulated days, three hours at a time (the demo's events keep their own times). Conversions
    // come days after a click or an entry: three days gave two or three, too few to count on.
    for (let step = 0; step < 40; step++) await server.advance(3 * HOUR);

    const response = await fetch(new URL('/api/overview', server.urls.map));
    const overview = (await response.json()) as Overview;
    const [lessons] = overview.workflows;
    expect(lessons!.id).toBe('lesson-trial');
    const entered = (stepId: string) => lessons!.metrics.steps[stepId]?.entered ?? 0;

    // Customers entered from the demo's lesson.requested events (from com.tutorly.web, as the pattern requires).
    expect(lessons!.metrics.entered).toBeGreaterThanOrEqual(20);
    // The profile attribute the branch reads was drawn so that both sides are taken.
    expect(entered('advanced-welcome')).toBeGreaterThan(0);
    expect(entered('beginner-welcome')).toBeGreaterThan(0);
    // Some booked a lesson (the awaited event), with a format that sends them either way; others timed out.
    expect(entered('group-tips')).toBeGreaterThan(0);
    expect(entered('private-tips')).toBeGreaterThan(0);
    expect(entered('reminder')).toBeGreaterThan(0);
    // And some converted (subscription.started) after engaging.
    expect(lessons!.metrics.converted).toBeGreaterThan(0);

    // The emails went out through the local SES server.
    const ses = localSes(server.urls.mailViewer.replace(/\/$/, ''));
    try {
      const subjects = new Set((await ses.messages()).map((m) => m.subject));
      for (const subject of ['Ready for advanced lessons', 'Your first lesson, step by step', 'Getting the most of a group lesson', 'Getting the most of a private lesson']) expect(subjects).toContain(subject);
    } finally {
      await ses.stop();
    }
    expect(overview.totals?.rejected).toBe(0);
    expect(logged.filter((line) => /^(error|demo:)/.test(line))).toEqual([]);
  });

  it('hints at sending the workflow\'s own entry event', async () => {
    expect(server.exampleEvent).toEqual({ Source: 'com.tutorly.web', DetailType: 'lesson.requested', Detail: expect.stringContaining('"email":"c1@example.com"') });
    const overview = (await (await fetch(new URL('/api/overview', server.urls.map))).json()) as Overview;
    expect(overview.workflows[0]!.entryExample.DetailType).toBe('lesson.requested');
  });
});
