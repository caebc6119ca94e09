/**
 * The reference journey (journey.json) as an XState v5 machine: the baseline
 * the engine's throughput is compared with. Same states, same email choices,
 * same timer semantics (the driver sends TICK at the due time the machine
 * records), driven through XState's pure `transition()`.
 */
import { assign, setup } from 'xstate';

const DAY = 86_400_000;
const ARTICLES = [
  { id: 'article-1', tags: ['intro'] },
  { id: 'article-2', tags: ['intro'] },
  { id: 'article-3', tags: [] as string[] },
];

export interface ReferenceEmail {
  step: string;
  content: string;
  at: number;
}

export interface ReferenceContext {
  plan: string | null;
  clicks: number;
  sent: string[];
  emails: ReferenceEmail[];
  dueAt: number | null;
  waitingSince: number | null;
}

export type ReferenceEvent =
  | { type: 'LEAD'; at: number; plan: string | null }
  | { type: 'CLICK'; at: number }
  | { type: 'ORDER'; at: number }
  | { type: 'DELETE'; at: number }
  | { type: 'PAGE'; at: number }
  | { type: 'TICK'; at: number };

function firstUnsent(sent: readonly string[], tag?: string): string | undefined {
  return ARTICLES.find((a) => (tag === undefined || a.tags.includes(tag)) && !sent.includes(a.id))?.id;
}

type Choice = 'intro-article' | 'any-article' | 'guide-1' | 'demo' | 'offer-1';

function choose(choice: Choice, sent: readonly string[]): string | undefined {
  if (choice === 'intro-article') return firstUnsent(sent, 'intro');
  if (choice === 'any-article') return firstUnsent(sent);
  return choice;
}

export const referenceMachine = setup({
  types: { context: {} as ReferenceContext, events: {} as ReferenceEvent },
  actions: {
    email: assign(({ context, event }, params: { step: string; choice: Choice }) => {
      const content = choose(params.choice, context.sent);
      if (content === undefined) return {};
      return { sent: [...context.sent, content], emails: [...context.emails, { step: params.step, content, at: event.at }] };
    }),
    wait: assign(({ event }, params: { ms: number; forEvent: boolean }) => ({ dueAt: event.at + params.ms, waitingSince: params.forEvent ? event.at : null })),
    countClick: assign(({ context }) => ({ clicks: context.clicks + 1 })),
  },
  guards: {
    due: ({ context, event }) => context.dueAt !== null && event.at >= context.dueAt,
    clickDuringWait: ({ context, event }) => event.at >= (context.waitingSince ?? Infinity),
    onTrial: ({ context }) => context.plan === 'trial',
    clicked: ({ context }) => context.clicks >= 1,
  },
}).createMachine({
  id: 'reference-nurture',
  initial: 'outside',
  context: { plan: null, clicks: 0, sent: [], emails: [], dueAt: null, waitingSince: null },
  states: {
    outside: {
      on: { LEAD: { target: 'journey', actions: assign(({ event }) => ({ plan: event.plan })) } },
    },
    journey: {
      initial: 'welcome',
      on: {
        ORDER: { target: 'converted' },
        DELETE: { target: 'exited' },
        CLICK: { actions: 'countClick' },
      },
      states: {
        welcome: {
          always: { target: 'clicked', actions: [{ type: 'email', params: { step: 'welcome', choice: 'intro-article' } }, { type: 'wait', params: { ms: 3 * DAY, forEvent: true } }] },
        },
        clicked: {
          on: {
            CLICK: { target: 'guide', guard: 'clickDuringWait', actions: 'countClick' },
            TICK: { target: 'nudge', guard: 'due' },
          },
        },
        nudge: { always: { target: 'pause', actions: [{ type: 'email', params: { step: 'nudge', choice: 'any-article' } }, { type: 'wait', params: { ms: 2 * DAY, forEvent: false } }] } },
        guide: { always: { target: 'pause', actions: [{ type: 'email', params: { step: 'guide', choice: 'guide-1' } }, { type: 'wait', params: { ms: 2 * DAY, forEvent: false } }] } },
        pause: { on: { TICK: { target: 'which', guard: 'due' } } },
        which: {
          always: [{ target: 'demo', guard: 'onTrial' }, { target: 'demo', guard: 'clicked' }, { target: 'offer' }],
        },
        demo: { always: { target: '#reference-nurture.completed', actions: { type: 'email', params: { step: 'demo', choice: 'demo' } } } },
        offer: { always: { target: '#reference-nurture.completed', actions: { type: 'email', params: { step: 'offer', choice: 'offer-1' } } } },
      },
    },
    completed: { type: 'final', entry: assign({ dueAt: null }) },
    converted: { type: 'final', entry: assign({ dueAt: null }) },
    exited: { type: 'final', entry: assign({ dueAt: null }) },
  },
});
