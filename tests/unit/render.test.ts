/**
 * Rendering an email from a content item with Liquid. Customer data is
 * HTML-escaped in the html body (and only there), subjects are one line,
 * every email gets a plain-text part and an unsubscribe link, and templates
 * cannot read files.
 */
import { describe, expect, it } from 'vitest';
import type { ContentItem } from '../../lib/engine/schema';
import { EmailRenderer, htmlToText, RenderError, type RenderScope } from '../../lib/runtime/render';
import { templateProblems } from '../../lib/runtime/template-check';

const UNSUBSCRIBE_URL = 'https://unsubscribe.example/u?token=v1.cGF5bG9hZA.c2lnbmF0dXJl';

function scope(profile: Record<string, unknown> = {}): RenderScope {
  return { profile: { customerId: 'ana', ...profile }, event: {}, journey: { workflowId: 'cold-traffic-nurture', stepId: 'welcome' }, unsubscribeUrl: UNSUBSCRIBE_URL };
}

function item(fields: Partial<ContentItem> = {}): ContentItem {
  return { id: 'welcome', kind: 'article', subject: 'Welcome, {{ profile.firstName }}', html: '<p>Hi {{ profile.firstName }}</p>', ...fields };
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejectionOf(action: Promise<unknown>): Promise<Error> {
  try {
    await action;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe('EmailRenderer: customer data', () => {
  it('HTML-escapes customer data in the html body, and leaves it as written in the text and the subject', async () => {
    // Prepare: a first name that is markup.
    const renderer = new EmailRenderer();
    const content = item({ text: 'Hi {{ profile.firstName }}' });

    // Act
    const email = await renderer.render(content, scope({ firstName: '<b>Ana</b> & "Co"' }));

    // Assess
    expect(email.html).toContain('<p>Hi &lt;b&gt;Ana&lt;/b&gt; &amp; &#34;Co&#34;</p>');
    expect(email.html).not.toContain('<b>Ana</b>');
    expect(email.text).toMatch(/^Hi <b>Ana<\/b> & "Co"/);
    expect(email.subject).toBe('Welcome, <b>Ana</b> & "Co"');
  });

  it('escapes customer data inside an attribute, so it cannot close the attribute', async () => {
    // Prepare
    const renderer = new EmailRenderer();
    const content = item({ html: '<a href="{{ profile.website }}">Your site</a>' });

    // Act
    const email = await renderer.render(content, scope({ website: '"><script>alert(1)</script>' }));

    // Assess
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('href="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });

  it('makes a subject one line when a profile field carries CR or LF (no header injection)', async () => {
    // Prepare
    const renderer = new EmailRenderer();

    // Act
    const email = await renderer.render(item(), scope({ firstName: 'Ana\r\nBcc: victim@example.com\n\tX-Evil: 1' }));

    // Assess
    expect(email.subject).toBe('Welcome, Ana Bcc: victim@example.com X-Evil: 1');
    expect(email.subject).not.toMatch(/[\r\n]/);
  });
});

describe('EmailRenderer: the plain-text part', () => {
  it('derives one from the html when the item has no text, keeping links as "label (url)"', async () => {
    // Prepare
    const renderer = new EmailRenderer();
    const content = item({
      html: '<h1>Hi {{ profile.firstName }}</h1><p>Read <a href="https://ledgerly.example/guide?a=1&amp;b=2" style="color:red">the guide</a>.</p><ul><li>Invoices</li><li>Receipts</li></ul>',
    });

    // Act
    const email = await renderer.render(content, scope({ firstName: 'Ana' }));

    // Assess: no tags, entities decoded, the link readable, list items on their own lines.
    expect(email.text).toBe(`Hi Ana\nRead the guide (https://ledgerly.example/guide?a=1&b=2).\n- Invoices\n- Receipts\n\nUnsubscribe: ${UNSUBSCRIBE_URL}`);
  });

  it('keeps Liquid tags intact while converting, so the derived text is still a template', () => {
    // Act
    const text = htmlToText('<p>{% if profile.plan == "pro" %}Thanks for going <b>Pro</b>{% endif %}</p>');

    // Assess
    expect(text).toBe('{% if profile.plan == "pro" %}Thanks for going Pro{% endif %}');
  });

  it('uses the item\'s own text when it has one', async () => {
    // Prepare
    const renderer = new EmailRenderer();

    // Act
    const email = await renderer.render(item({ text: 'Hello {{ profile.firstName }}, in plain words.' }), scope({ firstName: 'Ana' }));

    // Assess
    expect(email.text).toBe(`Hello Ana, in plain words.\n\nUnsubscribe: ${UNSUBSCRIBE_URL}`);
  });
});

describe('EmailRenderer: the unsubscribe link', () => {
  it('appends one to the html and the text when the template has none', async () => {
    // Prepare
    const renderer = new EmailRenderer();

    // Act
    const email = await renderer.render(item({ text: 'Hi' }), scope({ firstName: 'Ana' }));

    // Assess
    expect(email.html).toContain(`<a href="${UNSUBSCRIBE_URL}">Unsubscribe</a>`);
    expect(email.text).toContain(`Unsubscribe: ${UNSUBSCRIBE_URL}`);
  });

  it('does not add a second one when the template places its own', async () => {
    // Prepare
    const renderer = new EmailRenderer();
    const content = item({
      html: '<p>Hi</p><p><a href="{{ unsubscribeUrl }}">Stop these emails</a></p>',
      text: 'Hi\nStop these emails: {{unsubscribeUrl}}',
    });

    // Act
    const email = await renderer.render(content, scope());

    // Assess
    expect(occurrences(email.html, UNSUBSCRIBE_URL)).toBe(1);
    expect(email.html).toContain('Stop these emails');
    expect(email.html).not.toContain('>Unsubscribe</a>');
    expect(email.text).toBe(`Hi\nStop these emails: ${UNSUBSCRIBE_URL}`);
  });

  it('gives the derived text the template\'s own link, once', async () => {
    // Prepare
    const renderer = new EmailRenderer();

    // Act
    const email = await renderer.render(item({ html: '<p><a href="{{ unsubscribeUrl }}">Unsubscribe here</a></p>' }), scope());

    // Assess
    expect(email.text).toBe(`Unsubscribe here (${UNSUBSCRIBE_URL})`);
  });
});

describe('EmailRenderer: templates cannot read files', () => {
  it.each([
    ['{% include %} of an absolute path', "{% include '/etc/passwd' %}"],
    ['{% include %} of a project file', "{% include 'package.json' %}"],
    ['{% render %} of a relative path', "{% render '../../package.json' %}"],
    ['{% layout %}', "{% layout 'package.json' %}<p>Hi</p>"],
  ])('refuses %s with a render error, not the file\'s contents', async (_case, html) => {
    // Prepare
    const renderer = new EmailRenderer();

    // Act
    const error = await rejectionOf(renderer.render(item({ html }), scope()));

    // Assess: the error names the content, and carries nothing read from disk.
    expect(error).toBeInstanceOf(RenderError);
    expect(error.message).toMatch(/^content "welcome" could not be rendered: .*Failed to lookup/);
    expect(error.message).not.toMatch(/"name": "waymark"|root:x:0:0/);
  });
});

describe('templateProblems', () => {
  it('refuses file includes at validation, before any email is rendered', () => {
    expect(templateProblems("<p>{% include 'footer.html' %}</p>")).toEqual([expect.stringContaining('templates cannot use {% include %}')]);
    expect(templateProblems("{%- render 'x' -%}")).toEqual([expect.stringContaining('templates cannot use {% render %}')]);
  });

  it('reports an unknown filter as a syntax problem, naming it', () => {
    // Act
    const problems = templateProblems('<p>Hi {{ profile.firstName | shout }}</p>');

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^Liquid syntax error: undefined filter: shout/);
  });

  it('reports an unclosed tag', () => {
    // Act
    const problems = templateProblems('{% if profile.plan == "pro" %}Thanks');

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^Liquid syntax error: /)]);
  });

  it('finds nothing wrong with a template using standard filters', () => {
    // Act
    const problems = templateProblems('<p>Hi {{ profile.firstName | default: "there" | capitalize }}, {{ event.detail.amount | times: 2 }}</p>');

    // Assess
    expect(problems).toEqual([]);
  });

  it('agrees with the renderer: an unknown filter is a RenderError at render time too', async () => {
    // Prepare
    const renderer = new EmailRenderer();

    // Act
    const rendering = () => renderer.render(item({ html: '{{ profile.firstName | shout }}' }), scope());

    // Assess
    await expect(rendering()).rejects.toThrow(RenderError);
    await expect(rendering()).rejects.toThrow(/Liquid syntax error: undefined filter: shout/);
  });
});

describe('bounded rendering', () => {
  it('a template that runs away fails that email with a reason, quickly, instead of holding the send function', async () => {
    const renderer = new EmailRenderer();
    const runaway = { id: 'runaway', kind: 'article', subject: 'Hi', html: '{% for i in (1..100000000) %}{{ i }}{% endfor %}' };
    await expect(renderer.render(runaway, { profile: {}, event: {}, journey: {}, unsubscribeUrl: 'https://u.example' })).rejects.toThrow(RenderError);
    await expect(renderer.render(runaway, { profile: {}, event: {}, journey: {}, unsubscribeUrl: 'https://u.example' })).rejects.toThrow(/runaway/);
  });

  it('a template that would build a huge string fails on the memory limit', async () => {
    const renderer = new EmailRenderer();
    const huge = { id: 'huge', kind: 'article', subject: 'Hi', html: '{% assign s = "x" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}' };
    await expect(renderer.render(huge, { profile: {}, event: {}, journey: {}, unsubscribeUrl: 'https://u.example' })).rejects.toThrow(RenderError);
  });
});
