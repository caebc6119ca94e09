/**
 * The "Validation" rules of WORKFLOWS.md, one by one: each test starts from a small valid
 * workflow, breaks one rule, and checks the problem's JSON path and what it tells the marketer.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createCatalogue } from '../../lib/engine/content';
import { formatProblem, type ValidationProblem, validateWorkflow } from '../../lib/engine/validate';
import { allProblems, loadContent, loadProjectSettings, loadWorkflows } from '../../lib/runtime/workflow-files';
import { scenarioFileProblems } from '../../lib/scenarios/scenario';

const FILE = 'workflows/test-flow.json';

const catalogue = createCatalogue([
  { id: 'intro-article', kind: 'article', tags: ['intro'], subject: 'Hi {{ profile.firstName }}', html: '<p>Welcome</p>' },
  { id: 'deep-dive', kind: 'article', tags: ['advanced'], subject: 'A deep dive', html: '<p>More</p>' },
  { id: 'book-a-demo', kind: 'demo', subject: 'See it live', html: '<p>Book a demo</p>' },
  { id: 'first-month-free', kind: 'offer', subject: 'A month on us', html: '<p>Offer</p>' },
]);

// Loose typing on purpose: the tests write invalid workflows.
type Json = any;

/**
 * welcome (email, content) → clicked? (wait until) → demo (email, template)
 *                                  └ timeout → pause (wait duration) → demo
 */
function validWorkflow(): Json {
  return {
    id: 'test-flow',
    version: 1,
    name: 'Test flow',
    entry: { on: { 'detail-type': ['lead.captured'] } },
    settings: { from: 'Acme <hello@acme.example>' },
    start: 'welcome',
    steps: {
      welcome: { type: 'email', stage: 'awareness', content: { kind: 'article', tags: ['intro'] }, next: 'clicked?' },
      'clicked?': { type: 'wait', until: { on: { 'detail-type': ['Email Clicked'] }, timeout: 'P3D' }, next: 'demo', timeoutNext: 'pause' },
      pause: { type: 'wait', duration: 'P2D', next: 'demo' },
      demo: { type: 'email', stage: 'decision', template: 'book-a-demo' },
    },
  };
}

/** Validates a copy of the valid workflow after `breakIt` changed it. */
function problemsAfter(breakIt: (workflow: Json) => void): ValidationProblem[] {
  const workflow = validWorkflow();
  breakIt(workflow);
  const result = validateWorkflow(workflow, { file: FILE, catalogue });
  expect(result.ok).toBe(false);
  return result.problems;
}

/** Exactly one problem, at `path`, whose message contains `message`. */
function expectOnlyProblem(problems: ValidationProblem[], path: string, message: string): void {
  expect(problems.map((p) => p.path)).toEqual([path]);
  expect(problems[0]!.file).toBe(FILE);
  expect(problems[0]!.message).toContain(message);
}

describe('the starting point', () => {
  it('the small workflow used by these tests is valid', () => {
    const result = validateWorkflow(validWorkflow(), { file: FILE, catalogue });
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.workflow?.id).toBe('test-flow');
  });

  it('formatProblem reads "file: $.json.path: message"', () => {
    expect(formatProblem({ file: FILE, path: '$.steps.welcome.next', message: 'no step named "x"' })).toBe(
      'workflows/test-flow.json: $.steps.welcome.next: no step named "x"',
    );
  });
});

describe('a field with the wrong shape', () => {
  it('a field of the wrong type says what was expected and what was given', () => {
    expectOnlyProblem(problemsAfter((w) => (w.version = '1')), '$.version', 'expected a number, got the string "1"');
    expectOnlyProblem(problemsAfter((w) => (w.steps = [])), '$.steps', 'expected an object, got an array');
    expectOnlyProblem(problemsAfter((w) => (w.steps.pause = null)), '$.steps.pause', 'expected an object, got null');
  });

  it('a missing required field is reported where it belongs', () => {
    expectOnlyProblem(problemsAfter((w) => delete w.name), '$.name', 'required: expected a string');
  });

  it('a version must be a positive whole number', () => {
    expectOnlyProblem(problemsAfter((w) => (w.version = 0)), '$.version', 'a positive whole number');
    expectOnlyProblem(problemsAfter((w) => (w.version = 1.5)), '$.version', 'a whole number');
  });

  it('an unknown field suggests the field that was probably meant', () => {
    expectOnlyProblem(problemsAfter((w) => (w.steps.welcome.nxt = 'demo')), '$.steps.welcome', 'unknown field "nxt" (did you mean "next"?)');
    expectOnlyProblem(problemsAfter((w) => (w.settings.timeZone = 'UTC')), '$.settings', 'unknown field "timeZone" (did you mean "timezone"?)');
    expectOnlyProblem(problemsAfter((w) => (w.exitOnn = [])), '$', 'unknown field "exitOnn" (did you mean "exitOn"?)');
  });

  it('an id must be lower-case letters, digits and "-"', () => {
    expectOnlyProblem(problemsAfter((w) => (w.id = 'Cold Traffic')), '$.id', 'lower-case letters, digits and single "-"');
    expectOnlyProblem(problemsAfter((w) => (w.id = 'a'.repeat(65))), '$.id', 'at most 64 characters');
  });

  it('a step id cannot be empty', () => {
    expectOnlyProblem(problemsAfter((w) => (w.steps[''] = { type: 'exit' })), '$.steps[""]', 'a step id cannot be empty');
  });

  it('a duration must be ISO 8601', () => {
    expectOnlyProblem(problemsAfter((w) => (w.steps.pause.duration = '2 days')), '$.steps.pause.duration', 'an ISO 8601 duration such as "P3D"');
    expectOnlyProblem(problemsAfter((w) => (w.steps['clicked?'].until.timeout = '3d')), '$.steps["clicked?"].until.timeout', 'ISO 8601 duration');
    expectOnlyProblem(problemsAfter((w) => (w.entry.reentry = { after: 'a month' })), '$.entry.reentry.after', 'ISO 8601 duration');
  });

  it('a step type must be one of the known types', () => {
    expectOnlyProblem(
      problemsAfter((w) => (w.steps.pause.type = 'delay')),
      '$.steps.pause.type',
      '"type" must be one of "email", "wait", "branch", "split", "holdout", "stage", "exit"',
    );
  });

  it('reentry must be "never", "after-exit" or {"after": duration}', () => {
    expectOnlyProblem(problemsAfter((w) => (w.entry.reentry = 'always')), '$.entry.reentry', 'expected "never", "after-exit" or {"after": "P30D"}');
  });

  it('a time zone must be an IANA name', () => {
    expectOnlyProblem(problemsAfter((w) => (w.settings.timezone = 'Mars/Olympus')), '$.settings.timezone', 'an IANA time zone name');
  });

  it('send window times must be "HH:MM" and days must be weekdays', () => {
    const problems = problemsAfter((w) => (w.settings.sendWindow = { start: '9am', end: '25:00' }));
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['$.settings.sendWindow.start', 'a time "HH:MM" from 00:00 to 23:59, got "9am"'],
      ['$.settings.sendWindow.end', 'a time "HH:MM" from 00:00 to 24:00, got "25:00"'],
    ]);
    expectOnlyProblem(
      problemsAfter((w) => (w.settings.sendWindow = { days: ['monday'], start: '09:00', end: '17:00' })),
      '$.settings.sendWindow.days[0]',
      '"mon"',
    );
  });

  it('a wait has a "duration", an "until" or an "at", not two: the message shows the ones given', () => {
    expectOnlyProblem(
      problemsAfter((w) => (w.steps.pause.until = { on: { 'detail-type': ['Email Opened'] }, timeout: 'P1D' })),
      '$.steps.pause',
      'a wait step needs exactly one of "duration" (e.g. "P2D"), "until" ({"on", "timeout"}) or "at" (a moment), got "duration": "P2D" and "until": {"on":{"detail-type":["Email Opened"]},"timeout":"P1D"}',
    );
    expectOnlyProblem(
      problemsAfter((w) => (w.steps.pause.at = '2026-12-24T09:00:00Z')),
      '$.steps.pause',
      'a wait step needs exactly one of "duration" (e.g. "P2D"), "until" ({"on", "timeout"}) or "at" (a moment), got "duration": "P2D" and "at": "2026-12-24T09:00:00Z"',
    );
  });

  it('a wait "at" is an ISO instant with a zone, or a profile or event attribute with an optional signed offset', () => {
    expectOnlyProblem(
      problemsAfter((w) => {
        delete w.steps.pause.duration;
        w.steps.pause.at = '2026-12-24 09:00';
      }),
      '$.steps.pause.at',
      'an ISO 8601 instant with a zone',
    );
    expectOnlyProblem(
      problemsAfter((w) => {
        delete w.steps.pause.duration;
        w.steps.pause.at = { attribute: 'renewsAt', offset: '-P7D' };
      }),
      '$.steps.pause.at.attribute',
      'a path starting with "profile." or "event."',
    );
    expectOnlyProblem(
      problemsAfter((w) => {
        delete w.steps.pause.duration;
        w.steps.pause.at = { attribute: 'profile.renewsAt', offset: '7 days before' };
      }),
      '$.steps.pause.at.offset',
      'an ISO 8601 duration, optionally signed',
    );
  });

  it('a wait has a "duration" or an "until", not neither', () => {
    expectOnlyProblem(problemsAfter((w) => delete w.steps.pause.duration), '$.steps.pause', 'a wait step needs exactly one of "duration" (e.g. "P2D"), "until" ({"on", "timeout"}) or "at" (a moment), got none of them');
  });

  it('an email has a "template" or a "content", not both and not neither: the message shows what was given', () => {
    expectOnlyProblem(
      problemsAfter((w) => (w.steps.demo.content = { kind: 'demo' })),
      '$.steps.demo',
      'an email step needs exactly one of "template" (a content id) or "content" ({"kind", "tags"}), got both: "template": "book-a-demo" and "content": {"kind":"demo"}',
    );
    expectOnlyProblem(
      problemsAfter((w) => delete w.steps.demo.template),
      '$.steps.demo',
      'an email step needs exactly one of "template" (a content id) or "content" ({"kind", "tags"}), got neither',
    );
  });

  it('a wait until an event needs a "timeoutNext"', () => {
    expectOnlyProblem(
      problemsAfter((w) => delete w.steps['clicked?'].timeoutNext),
      '$.steps["clicked?"].timeoutNext',
      'a wait with "until" needs "timeoutNext"',
    );
  });

  it('a wait for a duration has no "timeoutNext"', () => {
    expectOnlyProblem(problemsAfter((w) => (w.steps.pause.timeoutNext = 'demo')), '$.steps.pause.timeoutNext', '"timeoutNext" only applies to a wait with "until"');
  });

  it('a split weight cannot be negative, a holdout is a percentage', () => {
    expectOnlyProblem(
      problemsAfter((w) => (w.steps.demo = { type: 'split', paths: [{ weight: -1, next: 'pause' }] })),
      '$.steps.demo.paths[0].weight',
      'a weight cannot be negative',
    );
    expectOnlyProblem(
      problemsAfter((w) => (w.steps.demo = { type: 'holdout', percent: 120, next: 'pause' })),
      '$.steps.demo.percent',
      'a percentage from 0 to 100',
    );
  });
});

describe('a reference that names no step', () => {
  it('a start that names no step is reported at $.start, without calling every step unreachable', () => {
    expectOnlyProblem(problemsAfter((w) => (w.start = 'welcom')), '$.start', 'no step named "welcom" (did you mean "welcome"?)');
  });

  it('a reference unlike any step lists the steps there are', () => {
    expectOnlyProblem(problemsAfter((w) => (w.start = 'something-else')), '$.start', 'no step named "something-else" (steps are: "welcome", "clicked?", "pause", "demo")');
    expect(problemsAfter((w) => (w.steps = {})).map((p) => `${p.path}: ${p.message}`)).toEqual(['$.steps: at least one step', '$.start: no step named "welcome" (the workflow has no steps)']);
  });

  it('a next that names no step is reported at its path', () => {
    expectOnlyProblem(problemsAfter((w) => (w.steps.pause.next = 'dmeo')), '$.steps.pause.next', 'no step named "dmeo"');
  });

  it('a timeoutNext that names no step is reported once, with the step it probably meant', () => {
    // "pause" is only reachable through the mistyped reference: it is not also reported as unreachable.
    const problems = problemsAfter((w) => (w.steps['clicked?'].timeoutNext = 'paws'));
    expect(problems.map((p) => p.path)).toEqual(['$.steps["clicked?"].timeoutNext']);
    expect(problems[0]!.message).toBe('no step named "paws" (did you mean "pause"?)');
  });

  it('a reference unlike any step leaves the steps only it led to unreachable, and says so', () => {
    const problems = problemsAfter((w) => (w.steps['clicked?'].timeoutNext = 'something-else'));
    expect(problems.map((p) => p.path)).toEqual(['$.steps["clicked?"].timeoutNext', '$.steps.pause']);
  });

  it('a branch case next and an else that name no step are reported at their paths', () => {
    const problems = problemsAfter((w) => {
      w.steps.demo.next = 'trial?';
      w.steps['trial?'] = { type: 'branch', cases: [{ if: { profile: { plan: ['trial'] } }, next: 'offr' }], else: 'ofer' };
    });
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['$.steps["trial?"].cases[0].next', expect.stringContaining('no step named "offr"')],
      ['$.steps["trial?"].else', expect.stringContaining('no step named "ofer"')],
    ]);
  });

  it('a split path next that names no step is reported at its path', () => {
    const problems = problemsAfter((w) => {
      w.steps.demo.next = 'ab';
      w.steps.ab = { type: 'split', paths: [{ weight: 50, next: 'offer' }, { weight: 50, next: 'nowhere' }] };
      w.steps.offer = { type: 'email', content: { kind: 'offer' } };
    });
    expectOnlyProblem(problems, '$.steps.ab.paths[1].next', 'no step named "nowhere"');
  });

  it('a goal that jumps to no step is reported at $.goal.then', () => {
    expectOnlyProblem(
      problemsAfter((w) => (w.goal = { on: { 'detail-type': ['order.placed'] }, then: 'thank-you' })),
      '$.goal.then',
      'expected "exit" or a step id: no step named "thank-you"',
    );
  });
});

describe('the graph', () => {
  it('a step that cannot be reached from start is reported at the step', () => {
    expectOnlyProblem(problemsAfter((w) => (w.steps.orphan = { type: 'exit' })), '$.steps.orphan', 'step "orphan" can never be reached from "start" ("welcome")');
  });

  it('a step reached only by the goal jump is reachable', () => {
    const workflow = validWorkflow();
    workflow.steps['thank-you'] = { type: 'email', template: 'first-month-free' };
    workflow.goal = { on: { 'detail-type': ['order.placed'] }, then: 'thank-you' };
    expect(validateWorkflow(workflow, { file: FILE, catalogue }).problems).toEqual([]);
  });

  it('a loop without a wait is reported at its first step, naming the loop', () => {
    const problems = problemsAfter((w) => {
      w.steps.demo.next = 'again';
      w.steps.again = { type: 'stage', stage: 'decision', next: 'demo' };
    });
    expectOnlyProblem(problems, '$.steps.demo', 'loop without a wait: "demo" → "again" → "demo"');
    expect(problems[0]!.message).toContain('put a "wait" step with a "duration" or "until" in it');
  });

  it('a wait "at" a moment does not break a loop: once the moment is past it goes on at once, every time round', () => {
    const problems = problemsAfter((w) => {
      w.steps.demo.next = 'monday';
      w.steps.monday = { type: 'wait', at: { attribute: 'profile.nextMonday' }, next: 'demo' };
    });
    expectOnlyProblem(problems, '$.steps.demo', 'loop without a wait: "demo" → "monday" → "demo"');
  });

  it('a step that leads to itself is a loop without a wait', () => {
    expectOnlyProblem(problemsAfter((w) => (w.steps.demo.next = 'demo')), '$.steps.demo', 'loop without a wait: "demo" → "demo"');
  });

  it('a loop through a branch and a split without a wait is reported', () => {
    const problems = problemsAfter((w) => {
      w.steps.demo.next = 'trial?';
      w.steps['trial?'] = { type: 'branch', cases: [{ if: { profile: { plan: ['trial'] } }, next: 'ab' }], else: 'done' };
      w.steps.ab = { type: 'split', paths: [{ weight: 1, next: 'demo' }, { weight: 1, next: 'done' }] };
      w.steps.done = { type: 'exit' };
    });
    expectOnlyProblem(problems, '$.steps.demo', '"demo" → "trial?" → "ab" → "demo"');
  });

  it('a loop that passes a wait is valid', () => {
    const workflow = validWorkflow();
    workflow.steps.demo.next = 'cool-off';
    workflow.steps['cool-off'] = { type: 'wait', duration: 'P7D', next: 'welcome' };
    expect(validateWorkflow(workflow, { file: FILE, catalogue }).problems).toEqual([]);
  });
});

describe('content', () => {
  it('a template that names no content is reported at the template', () => {
    expectOnlyProblem(problemsAfter((w) => (w.steps.demo.template = 'book-a-dmeo')), '$.steps.demo.template', 'no content item with id "book-a-dmeo"');
  });

  it('a content kind with no item is reported, listing the kinds there are', () => {
    expectOnlyProblem(
      problemsAfter((w) => (w.steps.welcome.content = { kind: 'webinar' })),
      '$.steps.welcome.content',
      'no content item of kind "webinar" (kinds in the catalogue: "article", "demo", "offer")',
    );
  });

  it('a content kind whose items lack the tags is reported', () => {
    expectOnlyProblem(
      problemsAfter((w) => (w.steps.welcome.content = { kind: 'article', tags: ['intro', 'advanced'] })),
      '$.steps.welcome.content',
      'no content item of kind "article" carrying the tags "intro", "advanced"',
    );
  });
});

describe('splits', () => {
  it('split weights that sum to 0 are reported at the paths, with the weights given', () => {
    const splitWith = (weights: number[]) =>
      problemsAfter((w) => {
        w.steps.demo.next = 'ab';
        w.steps.ab = { type: 'split', paths: weights.map((weight) => ({ weight, next: 'offer' })) };
        w.steps.offer = { type: 'email', content: { kind: 'offer' } };
      });
    expect(splitWith([0, 0])).toEqual([{ file: FILE, path: '$.steps.ab.paths', message: 'the weights must sum to more than 0, got 0 and 0' }]);
    expect(splitWith([0, 0, 0])).toEqual([{ file: FILE, path: '$.steps.ab.paths', message: 'the weights must sum to more than 0, got 0, 0 and 0' }]);
    expect(splitWith([0])).toEqual([{ file: FILE, path: '$.steps.ab.paths', message: 'the weights must sum to more than 0, got 0' }]);
  });
});

describe('stages', () => {
  it('a step stage not in the default stages is reported at the step', () => {
    expectOnlyProblem(
      problemsAfter((w) => (w.steps.demo.stage = 'closing')),
      '$.steps.demo.stage',
      '"closing" is not one of this workflow\'s stages ("awareness", "consideration", "decision", "purchase", "retention", "advocacy")',
    );
  });

  it('a stage step with a stage not in stages is reported', () => {
    const problems = problemsAfter((w) => {
      w.steps.demo.next = 'won';
      w.steps.won = { type: 'stage', stage: 'won' };
    });
    expectOnlyProblem(problems, '$.steps.won.stage', '"won" is not one of this workflow\'s stages');
  });

  it('a goal stage not in stages is reported at $.goal.stage', () => {
    expectOnlyProblem(
      problemsAfter((w) => (w.goal = { on: { 'detail-type': ['order.placed'] }, stage: 'won' })),
      '$.goal.stage',
      '"won" is not one of this workflow\'s stages',
    );
  });

  it('custom stages replace the default ones', () => {
    const problems = problemsAfter((w) => {
      w.stages = ['lead', 'customer'];
      w.steps.welcome.stage = 'lead';
    });
    expectOnlyProblem(problems, '$.steps.demo.stage', '"decision" is not one of this workflow\'s stages ("lead", "customer")');
  });

  it('stages must be listed once each', () => {
    expectOnlyProblem(problemsAfter((w) => (w.stages = ['lead', 'lead'])), '$.stages', 'each stage at most once');
  });
});

describe('event patterns: the path points inside the pattern', () => {
  it('an invalid pattern in entry.on', () => {
    expectOnlyProblem(
      problemsAfter((w) => (w.entry.on = { 'detail-type': 'lead.captured' })),
      '$.entry.on.detail-type',
      'list the values to match in an array, e.g. "detail-type": ["lead.captured"]',
    );
  });

  it('a pattern that is not an object', () => {
    expectOnlyProblem(problemsAfter((w) => (w.entry.on = ['lead.captured'])), '$.entry.on', 'expected an object, got an array');
  });

  it('an invalid pattern in goal.on', () => {
    expectOnlyProblem(
      problemsAfter((w) => (w.goal = { on: { 'detail-type': [] } })),
      '$.goal.on.detail-type',
      'this list is empty, so nothing could ever match',
    );
  });

  it('an invalid pattern in exitOn[i]', () => {
    expectOnlyProblem(
      problemsAfter((w) => (w.exitOn = [{ 'detail-type': ['customer.deleted'] }, { detail: { score: [{ numeric: ['>'] }] } }])),
      '$.exitOn[1].detail.score[0].numeric',
      'numeric expects pairs of an operator',
    );
  });

  it('an invalid pattern in a wait until.on', () => {
    expectOnlyProblem(
      problemsAfter((w) => (w.steps['clicked?'].until.on = { detail: { link: [{ prefx: 'https://' }] } })),
      '$.steps["clicked?"].until.on.detail.link[0].prefx',
      'unknown matcher "prefx"',
    );
  });

  it('an invalid pattern in a branch case if', () => {
    const problems = problemsAfter((w) => {
      w.steps.demo.next = 'trial?';
      w.steps['trial?'] = { type: 'branch', cases: [{ if: { profile: { plan: 'trial' } }, next: 'done' }], else: 'done' };
      w.steps.done = { type: 'exit' };
    });
    expectOnlyProblem(problems, '$.steps["trial?"].cases[0].if.profile.plan', 'list the values to match in an array, e.g. "plan": ["trial"]');
  });
});

describe('branch conditions', () => {
  const withCondition = (condition: Json) => (w: Json) => {
    w.steps.demo.next = 'trial?';
    w.steps['trial?'] = { type: 'branch', cases: [{ if: condition, next: 'done' }], else: 'done' };
    w.steps.done = { type: 'exit' };
  };

  it('a condition whose top-level key is not profile, event or journey is reported, with the likely fix', () => {
    expectOnlyProblem(
      problemsAfter(withCondition({ plan: ['trial'] })),
      '$.steps["trial?"].cases[0].if.plan',
      'a branch condition is matched against {"profile", "event", "journey"}: "plan" is none of them (did you mean {"profile": {"plan": ...}}?)',
    );
  });

  it('the same holds inside a top-level $or', () => {
    expectOnlyProblem(
      problemsAfter(withCondition({ $or: [{ profile: { plan: ['trial'] } }, { clicks: [{ numeric: ['>=', 2] }] }] })),
      '$.steps["trial?"].cases[0].if.$or[1].clicks',
      '"clicks" is none of them',
    );
  });

  it('profile, event and journey conditions are valid', () => {
    const workflow = validWorkflow();
    withCondition({
      profile: { plan: ['trial'] },
      event: { detail: { score: [{ numeric: ['>=', 9] }] } },
      $or: [{ journey: { clicks: [{ numeric: ['>=', 2] }] } }, { journey: { opens: [{ numeric: ['>=', 3] }] } }],
    })(workflow);
    expect(validateWorkflow(workflow, { file: FILE, catalogue }).problems).toEqual([]);
  });
});

describe('all problems at once', () => {
  it('several shape problems in one workflow are all reported together', () => {
    const problems = problemsAfter((w) => {
      w.version = 0;
      w.settings.timezone = 'Nowhere/City';
      w.steps.welcome.nxt = 'demo';
      w.steps.pause.duration = 'two days';
    });
    expect(problems.map((p) => p.path).sort()).toEqual(['$.settings.timezone', '$.steps.pause.duration', '$.steps.welcome', '$.version']);
    expect(problems.every((p) => p.file === FILE)).toBe(true);
  });

  it('several graph and content problems in one workflow are all reported together', () => {
    const problems = problemsAfter((w) => {
      w.steps.demo.next = 'gone';
      w.steps.welcome.content = { kind: 'webinar' };
      w.steps.pause.stage = 'closing';
      w.steps.orphan = { type: 'exit' };
    });
    expect(problems.map((p) => p.path).sort()).toEqual([
      '$.steps.demo.next',
      '$.steps.orphan',
      '$.steps.pause.stage',
      '$.steps.welcome.content',
    ]);
  });
});

describe('shape and graph problems together', () => {
  it('a broken field does not hide a dangling next or an unknown template elsewhere', () => {
    const problems = problemsAfter((w) => {
      w.version = 'one';
      w.steps.welcome.nxt = 'demo';
      w.steps.pause.next = 'nowhere';
      w.steps.demo.template = 'no-such-content';
    });
    expect(problems.map((p) => p.path).sort()).toEqual(['$.steps.demo.template', '$.steps.pause.next', '$.steps.welcome', '$.version']);
    expect(problems.find((p) => p.path === '$.steps.pause.next')!.message).toContain('no step named "nowhere"');
  });

  it('does not call steps unreachable when a broken step might have led to them', () => {
    const problems = problemsAfter((w) => {
      w.steps['clicked?'].timeout = 'P3D'; // misplaced: "timeout" belongs inside "until"
    });
    expect(problems.map((p) => p.path)).toEqual(['$.steps["clicked?"]']);
  });
});

describe('the samples', () => {
  it('the workflows in workflows/ and their content are valid', () => {
    const directory = fileURLToPath(new URL('../../workflows', import.meta.url));
    const loaded = loadWorkflows([directory]);
    expect(allProblems(loaded).map(formatProblem)).toEqual([]);
    expect(loaded.workflows.map((w) => `${w.id}@${w.version}`).sort()).toEqual(['cold-traffic-nurture@1', 'post-purchase@1', 'year-end-promotion@1']);
    expect(loaded.catalogue.items.length).toBeGreaterThan(0);
  });
});

describe('ids that travel in SES message tags', () => {
  it('a step id longer than 180 bytes of UTF-8 is refused, with the reason', () => {
    const longId = 'é'.repeat(91); // 91 characters, 182 bytes
    const problems = problemsAfter((w) => {
      w.steps[longId] = { type: 'exit' };
      w.steps.demo.next = longId;
    });
    expect(problems.some((p) => p.message.includes('at most 180 bytes'))).toBe(true);
  });
});

describe('every message echoes the bad value', () => {
  // Given a workflow with one bad value, the message names the field's rule and the value as it was written.
  it.each<[what: string, breakIt: (w: Json) => void, path: string, message: string]>([
    ['a step type', (w) => (w.steps.welcome.type = 'emial'), '$.steps.welcome.type', '"type" must be one of "email", "wait", "branch", "split", "holdout", "stage", "exit", got "emial" (did you mean "email"?)'],
    ['a weekday', (w) => (w.settings.sendWindow = { days: ['monday'], start: '09:00', end: '17:00' }), '$.settings.sendWindow.days[0]', 'expected "mon" or "tue" or "wed" or "thu" or "fri" or "sat" or "sun", got "monday" (did you mean "mon"?)'],
    ['a day given twice', (w) => (w.settings.sendWindow = { days: ['mon', 'tue', 'mon'], start: '09:00', end: '17:00' }), '$.settings.sendWindow.days', 'each day at most once: "mon" is listed twice'],
    ['a duration', (w) => (w.steps.pause.duration = '2 days'), '$.steps.pause.duration', 'an ISO 8601 duration such as "P3D" (3 days), "PT12H" (12 hours) or "P1W", got "2 days"'],
    ['a timeout', (w) => (w.steps['clicked?'].until.timeout = 'P3'), '$.steps["clicked?"].until.timeout', 'got "P3"'],
    ['an entry maxAge', (w) => (w.entry.maxAge = '1 day'), '$.entry.maxAge', 'got "1 day"'],
    ['a signed offset', (w) => (w.steps.pause = { type: 'wait', at: { attribute: 'profile.renewsAt', offset: '7 days' }, next: 'demo' }), '$.steps.pause.at.offset', 'got "7 days"'],
    ['an attribute path', (w) => (w.steps.pause = { type: 'wait', at: { attribute: 'renewsAt' }, next: 'demo' }), '$.steps.pause.at.attribute', 'a path starting with "profile." or "event.", e.g. "profile.renewsAt" or "event.detail.deliveryDate", got "renewsAt"'],
    ['a clock time', (w) => (w.settings.sendWindow = { start: '9am', end: '17:00' }), '$.settings.sendWindow.start', 'a time "HH:MM" from 00:00 to 23:59, got "9am"'],
    ['a time zone', (w) => (w.settings.timezone = 'Europe/Madird'), '$.settings.timezone', 'an IANA time zone name such as "Europe/Paris", "America/New_York" or "UTC", got "Europe/Madird" (did you mean "Europe/Madrid"?)'],
    ['a time zone written as a city', (w) => (w.settings.timezone = 'Chicago'), '$.settings.timezone', 'got "Chicago" (did you mean "America/Chicago"?)'],
    ['a time zone written as an offset', (w) => (w.settings.timezone = 'UTC+1'), '$.settings.timezone', 'got "UTC+1" (did you mean "Etc/GMT-1"?)'],
    ['a workflow id', (w) => (w.id = 'Test_Flow'), '$.id', 'lower-case letters, digits and single "-" between them (for example "cold-traffic-nurture"), got "Test_Flow" (did you mean "test-flow"?)'],
    ['a long workflow id', (w) => (w.id = 'a'.repeat(70)), '$.id', `at most 64 characters, got "${'a'.repeat(59)}…" (70 characters)`],
    ['a step id', (w) => ((w.steps['bad\u0001'] = { type: 'exit' }), (w.steps.demo.next = 'bad\u0001')), '$.steps["bad\\u0001"]', 'a step id cannot contain control characters, got "bad\\u0001"'],
    ['a content kind', (w) => (w.steps.welcome.content = { kind: 'Case Study' }), '$.steps.welcome.content.kind', 'got "Case Study" (did you mean "case-study"?)'],
    ['a tag', (w) => (w.steps.welcome.content = { kind: 'article', tags: ['Intro'] }), '$.steps.welcome.content.tags[0]', 'got "Intro" (did you mean "intro"?)'],
    ['a version', (w) => (w.version = 0), '$.version', 'a positive whole number, got 0'],
    ['a version written as text', (w) => (w.version = '1'), '$.version', 'expected a number, got the string "1"'],
    ['a fractional version', (w) => (w.version = 1.5), '$.version', 'a whole number, got 1.5'],
    ['a step reference of the wrong type', (w) => (w.steps.welcome.next = 42), '$.steps.welcome.next', 'expected a string, got the number 42'],
    ['a boolean for a string', (w) => (w.steps.welcome.next = true), '$.steps.welcome.next', 'expected a string, got true'],
    ['a sender', (w) => (w.settings.from = 'hello at acme'), '$.settings.from', 'a sender such as "Acme <hello@acme.example>" or "hello@acme.example", got "hello at acme"'],
    ['a reply-to address', (w) => (w.settings.replyTo = 'nope'), '$.settings.replyTo', 'an email address, got "nope"'],
    ['a frequency cap', (w) => (w.settings.frequencyCap = { max: 0, per: 'P1D' }), '$.settings.frequencyCap.max', 'at least 1, got 0'],
    ['a percentage', (w) => ((w.steps.hold = { type: 'holdout', percent: 150, next: 'welcome' }), (w.start = 'hold')), '$.steps.hold.percent', 'a percentage from 0 to 100, got 150'],
    ['a weight', (w) => ((w.steps.demo.next = 'ab'), (w.steps.ab = { type: 'split', paths: [{ weight: -5, next: 'end' }] }), (w.steps.end = { type: 'exit' })), '$.steps.ab.paths[0].weight', 'a weight cannot be negative, got -5'],
    ['a reentry', (w) => (w.entry.reentry = 'always'), '$.entry.reentry', 'expected "never", "after-exit" or {"after": "P30D"}, got "always"'],
    // The 30 of "P30D" in the message is not the 30 given.
    ['a reentry written as a number of days', (w) => (w.entry.reentry = 30), '$.entry.reentry', 'expected "never", "after-exit" or {"after": "P30D"}, got 30'],
    ['a reentry with a misspelt field', (w) => (w.entry.reentry = { afterr: 'P30D' }), '$.entry.reentry', 'expected "never", "after-exit" or {"after": "P30D"}, got {"afterr":"P30D"}'],
    ['a moment without its attribute', (w) => (w.steps.pause = { type: 'wait', at: { offset: '-P7D' }, next: 'demo' }), '$.steps.pause.at', 'expected an ISO 8601 instant with a zone, e.g. "2026-12-24T09:00:00Z", or {"attribute": "profile.renewsAt", "offset": "-P7D"}, got {"offset":"-P7D"}'],
    // The 12 of "2026-12-24" is not the 12 given.
    ['a moment written as a number', (w) => (w.steps.pause = { type: 'wait', at: 12, next: 'demo' }), '$.steps.pause.at', 'or {"attribute": "profile.renewsAt", "offset": "-P7D"}, got 12'],
    ['split weights that sum to 0', (w) => ((w.steps.demo.next = 'ab'), (w.steps.ab = { type: 'split', paths: [{ weight: 0, next: 'end' }, { weight: 0, next: 'end' }] }), (w.steps.end = { type: 'exit' })), '$.steps.ab.paths', 'the weights must sum to more than 0, got 0 and 0'],
    ['an email with a template and a content', (w) => (w.steps.demo.content = { kind: 'demo' }), '$.steps.demo', 'got both: "template": "book-a-demo" and "content": {"kind":"demo"}'],
    ['a wait with a duration and a moment', (w) => (w.steps.pause.at = '2026-12-24T09:00:00Z'), '$.steps.pause', 'got "duration": "P2D" and "at": "2026-12-24T09:00:00Z"'],
    ['a budget choice', (w) => (w.settings.budget = 'exampt'), '$.settings.budget', 'got "exampt" (did you mean "exempt"?)'],
    ['a priority', (w) => (w.settings.priority = 1.5), '$.settings.priority', 'a whole number, got 1.5'],
    ['a name too long', (w) => (w.name = 'x'.repeat(250)), '$.name', 'at most 200 characters, got "x'],
    ['an instant', (w) => (w.steps.pause = { type: 'wait', at: 'tomorrow', next: 'demo' }), '$.steps.pause.at', 'got "tomorrow"'],
    ['a pattern value', (w) => (w.entry.on = { 'detail-type': 'lead.captured' }), '$.entry.on.detail-type', 'got the text "lead.captured"'],
    ['a stage given twice', (w) => (w.stages = ['awareness', 'decision', 'awareness']), '$.stages', 'each stage at most once: "awareness" is listed twice'],
    ['a stage', (w) => (w.steps.demo.stage = 'decison'), '$.steps.demo.stage', '"decison" is not one of this workflow\'s stages (did you mean "decision"?)'],
    ['a step reference', (w) => (w.steps.pause.next = 'dmeo'), '$.steps.pause.next', 'no step named "dmeo" (did you mean "demo"?)'],
    ['a template', (w) => (w.steps.demo.template = 'book-a-dmeo'), '$.steps.demo.template', 'no content item with id "book-a-dmeo" in the content catalogue (did you mean "book-a-demo"?)'],
    ['a content kind the catalogue lacks', (w) => (w.steps.welcome.content = { kind: 'artcle' }), '$.steps.welcome.content', 'no content item of kind "artcle" (did you mean "article"?)'],
    ['a tag no item carries', (w) => (w.steps.welcome.content = { kind: 'article', tags: ['intr'] }), '$.steps.welcome.content', 'no content item of kind "article" carrying the tags "intr": no "article" item carries "intr" (did you mean "intro"?)'],
  ])('%s', (_what, breakIt, path, message) => {
    const problems = problemsAfter(breakIt);
    expect(problems.map((p) => p.path)).toContain(path);
    expect(problems.find((p) => p.path === path)!.message).toContain(message);
  });

  it('in workflows/settings.json, content items and scenario files too', () => {
    const directory = mkdtempSync(join(tmpdir(), 'waymark-echo-'));
    writeFileSync(join(directory, 'settings.json'), JSON.stringify({ budget: { max: 0, per: '7 days' } }));
    expect(loadProjectSettings(join(directory, 'settings.json'), directory).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      '$.budget.max: at least 1, got 0',
      '$.budget.per: an ISO 8601 duration such as "P3D" (3 days), "PT12H" (12 hours) or "P1W", got "7 days"',
    ]);
    mkdirSync(join(directory, 'content'));
    writeFileSync(join(directory, 'content', '10.json'), JSON.stringify([{ id: 'tips', kind: 'artcle', tags: ['Intro'], subject: 'Hi', html: '<p>Hi</p>' }]));
    expect(loadContent(join(directory, 'content'), directory).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      '$[0].tags[0]: content item "tips": lower-case letters, digits and single "-" between them (for example "cold-traffic-nurture"), got "Intro" (did you mean "intro"?)',
    ]);
    expect(scenarioFileProblems({ workflow: 'x', start: 'monday', scenarios: [{ name: 'x', events: [{ at: '+0', type: 'a' }], expect: { status: 'complete' } }] })).toEqual([
      { path: '$.start', message: 'an ISO 8601 instant such as "2026-11-02T14:00:00Z", got "monday"' },
      { path: '$.scenarios[0].expect.status', message: 'expected "active" or "completed" or "converted" or "exited" or "holdout" or "suppressed", got "complete" (did you mean "completed"?)' },
    ]);
  });

  it('a missing value is "required", not "got undefined"', () => {
    expectOnlyProblem(problemsAfter((w) => delete w.settings.from), '$.settings.from', 'required: expected a string');
    expect(problemsAfter((w) => delete w.settings.from)[0]!.message).not.toContain('got');
  });
});
