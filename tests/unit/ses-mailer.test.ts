/**
 * The SES v2 mailer, on the error paths the local SES server cannot produce:
 * throttling, permanent rejections, an unavailable service, a dead network.
 * The SES client is replaced by `aws-sdk-client-mock`, so nothing leaves the
 * process. What the mailer asks SES to send (configuration set, RFC 8058
 * headers, message tags, encoded display name) is checked on the captured
 * SendEmail input.
 *
 * The contract with the journey service: `sent` and `rejected` are answers;
 * anything that means "not now" is thrown, so the queue retries the input and
 * the email stays in the item's outbox.
 */
import {
  MailFromDomainNotVerifiedException,
  MessageRejected,
  NotFoundException,
  SendEmailCommand,
  type SendEmailCommandInput,
  SendingPausedException,
  SESv2Client,
  SESv2ServiceException,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ContentItem } from '../../lib/engine/schema';
import { JourneyService } from '../../lib/runtime/journey-service';
import type { OutgoingEmail } from '../../lib/runtime/mailer';
import { MemoryStore } from '../../lib/runtime/memory-store';
import type { RenderedEmail } from '../../lib/runtime/render';
import { EmailRenderer } from '../../lib/runtime/render';
import { identityFromTags } from '../../lib/runtime/ses-events';
import { encodeAddress, MailThrottledError, MailUnavailableError, SesMailer } from '../../lib/runtime/ses-mailer';
import type { OutboxEntry } from '../../lib/runtime/store';
import { SignedUnsubscribeLinks } from '../../lib/runtime/unsubscribe-token';
import { defineWorkflow, lead, registryOf } from '../support/journeys';

const ses = mockClient(SESv2Client);
const client = new SESv2Client({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

const links = new SignedUnsubscribeLinks({ baseUrl: 'https://unsubscribe.example.com/', key: 'unsubscribe-signing-key-0123456789', mailto: 'unsubscribe@mail.example.com' });

const item: ContentItem = { id: 'article-1', kind: 'article', subject: 'Hello', html: '<p>Hi</p>' };

/** One email as the journey service hands it to the mailer; any part can be overridden. */
function outgoing(overrides: { entry?: Partial<OutboxEntry>; from?: string; replyTo?: string; rendered?: Partial<RenderedEmail> } = {}): OutgoingEmail {
  const entry: OutboxEntry = {
    seq: 3,
    customerId: 'ana',
    workflowId: 'cold-traffic-nurture',
    version: 2,
    stepId: 'welcome',
    stage: 'awareness',
    contentId: 'article-1',
    to: 'ana@example.com',
    at: Date.parse('2026-11-02T10:00:00Z'),
    decidedAt: Date.parse('2026-11-02T10:00:00Z'),
    ...overrides.entry,
  };
  return {
    entry,
    from: overrides.from ?? 'Ledgerly <hello@ledgerly.example>',
    replyTo: overrides.replyTo,
    rendered: { subject: 'Welcome, Ana', html: '<p>Hi Ana</p>', text: 'Hi Ana', ...overrides.rendered },
    unsubscribe: links.forEmail(entry),
    item,
  };
}

/** A mailer whose back-off sleeps are recorded instead of waited for. */
function mailerRecordingSleeps(options: { maxAttempts?: number; configurationSetName?: string } = {}) {
  const delays: number[] = [];
  const mailer = new SesMailer(client, { baseDelayMs: 100, ...options, sleep: async (ms) => void delays.push(ms) });
  return { mailer, delays };
}

const sesError = {
  throttled: () => new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: { httpStatusCode: 429 } }),
  /** An error SES (or a proxy in front of it) returns with status 429 but no modelled name. */
  http429: () => new SESv2ServiceException({ name: 'SlowDown', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }),
};

/** The SendEmail inputs SES received, in order. */
const sentInputs = (): SendEmailCommandInput[] => ses.commandCalls(SendEmailCommand).map((call) => call.args[0].input);

beforeEach(() => {
  ses.reset();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('SesMailer: throttling', () => {
  it.each([
    ['TooManyRequestsException', sesError.throttled],
    ['an HTTP 429 without a modelled name', sesError.http429],
  ])('retries %s with growing back-off, then sends once', async (_name, error) => {
    // Prepare: SES throttles twice, then accepts; the jitter is pinned to its middle.
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    ses.on(SendEmailCommand).rejectsOnce(error()).rejectsOnce(error()).resolves({ MessageId: 'ses-message-1' });
    const { mailer, delays } = mailerRecordingSleeps();

    // Act
    const outcome = await mailer.send(outgoing());

    // Assess: three attempts, one message; the waits double (100 ms, 200 ms).
    expect(outcome).toEqual({ status: 'sent', messageId: 'ses-message-1' });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(3);
    expect(delays).toEqual([100, 200]);
  });

  it('keeps each back-off within half and one and a half times its nominal delay (jitter)', async () => {
    // Prepare: the lowest and the highest jitter Math.random can give.
    vi.spyOn(Math, 'random').mockReturnValueOnce(0).mockReturnValueOnce(0.999_999).mockReturnValueOnce(0);
    ses.on(SendEmailCommand).rejectsOnce(sesError.throttled()).rejectsOnce(sesError.throttled()).rejectsOnce(sesError.throttled()).resolves({ MessageId: 'm' });
    const { mailer, delays } = mailerRecordingSleeps();

    // Act
    await mailer.send(outgoing());

    // Assess: nominal delays 100, 200, 400 ms.
    expect(delays[0]).toBe(50);
    expect(delays[1]).toBeGreaterThan(299);
    expect(delays[1]).toBeLessThan(300);
    expect(delays[2]).toBe(200);
  });

  it('throws MailThrottledError when every attempt is throttled, so SQS retries the input', async () => {
    // Prepare
    ses.on(SendEmailCommand).rejects(sesError.throttled());
    const { mailer, delays } = mailerRecordingSleeps({ maxAttempts: 3 });

    // Act
    const sending = mailer.send(outgoing());

    // Assess: three attempts, two waits in between, and the error says how many attempts were throttled.
    await expect(sending).rejects.toBeInstanceOf(MailThrottledError);
    await expect(sending).rejects.toThrow(/throttled 3 attempts/);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(3);
    expect(delays).toHaveLength(2);
  });

  it('throws once throttling outlasts its retries, so the stream retries the record: the email is never dropped', async () => {
    // Prepare: SES throttles everything.
    ses.on(SendEmailCommand).rejects(sesError.throttled());
    const mailer = new SesMailer(client, { maxAttempts: 2, sleep: async () => {} });

    // Act
    const sending = mailer.send(outgoing());

    // Assess: thrown (not "rejected", not "unknown"), after its own attempts only.
    await expect(sending).rejects.toBeInstanceOf(MailThrottledError);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(2);
  });
});

describe('SesMailer: permanent rejections', () => {
  it.each([
    ['MessageRejected', () => new MessageRejected({ message: 'Email address is not verified.', $metadata: { httpStatusCode: 400 } })],
    ['MailFromDomainNotVerifiedException', () => new MailFromDomainNotVerifiedException({ message: 'MAIL FROM domain is not verified.', $metadata: { httpStatusCode: 400 } })],
  ])('returns %s as a rejection naming SES\'s error, without retrying', async (name, error) => {
    // Prepare
    ses.on(SendEmailCommand).rejects(error());
    const { mailer, delays } = mailerRecordingSleeps();

    // Act
    const outcome = await mailer.send(outgoing());

    // Assess
    expect(outcome).toEqual({ status: 'rejected', reason: expect.stringContaining(name) });
    expect(outcome.status === 'rejected' && outcome.reason).toContain(error().message);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
    expect(delays).toEqual([]);
  });
});

describe('SesMailer: SES did not take the email', () => {
  it.each([
    ['SendingPausedException', () => new SendingPausedException({ message: 'Email sending is disabled for the configuration set.', $metadata: { httpStatusCode: 400 } }), 'SendingPausedException'],
    ['NotFoundException (a configuration set that does not exist)', () => new NotFoundException({ message: 'Configuration set <waymark> does not exist.', $metadata: { httpStatusCode: 404 } }), 'NotFoundException'],
    ['a name that does not resolve (no connection was made)', () => Object.assign(new Error('getaddrinfo ENOTFOUND email.eu-west-1.amazonaws.com'), { code: 'ENOTFOUND' }), 'ENOTFOUND'],
    ['a refused connection', () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    ['a connection that was never established in time', () => Object.assign(new Error('@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 1000 ms.'), { name: 'TimeoutError' }), 'did not establish'],
  ])('throws MailUnavailableError on %s, so the stream retries the record and the email is never dropped', async (_case, error, named) => {
    // Prepare
    ses.on(SendEmailCommand).rejects(error());
    const { mailer, delays } = mailerRecordingSleeps();

    // Act
    const sending = mailer.send(outgoing());

    // Assess: one attempt (the queue, not the mailer, retries these), and the error says what happened.
    await expect(sending).rejects.toBeInstanceOf(MailUnavailableError);
    await expect(sending).rejects.toThrow(named);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
    expect(delays).toEqual([]);
  });
});

describe('SesMailer: an answer that never came', () => {
  it.each([
    ['a connection reset after the request went', () => Object.assign(new Error('read ECONNRESET'), { name: 'TimeoutError', code: 'ECONNRESET' })],
    ['a socket hang up', () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['a timeout waiting for the answer', () => Object.assign(new Error('@smithy/node-http-handler - [ERROR] a request has exceeded the configured 5000 ms requestTimeout.'), { name: 'TimeoutError', code: 'ETIMEDOUT' })],
    ['an HTTP 500 (SES may have queued it)', () => new SESv2ServiceException({ name: 'InternalFailure', $fault: 'server', message: 'We encountered an internal error.', $metadata: { httpStatusCode: 500 } })],
  ])('on %s the outcome is unknown: returned as such, never retried (SES has no idempotency key)', async (_case, error) => {
    ses.on(SendEmailCommand).rejects(error());
    const { mailer, delays } = mailerRecordingSleeps();

    const outcome = await mailer.send(outgoing());

    expect(outcome).toEqual({ status: 'unknown', reason: expect.stringContaining(error().message) });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('the SES client the Lambda builds never retries on its own', async () => {
    const { sesClient } = await import('../../lib/runtime/aws');
    expect(await sesClient().config.maxAttempts()).toBe(1);
  });
});

describe('SesMailer: header injection', () => {
  it.each([
    ['Subject', { rendered: { subject: 'Hello\r\nBcc: victim@example.com' } }],
    ['Reply-To', { replyTo: 'support@ledgerly.example\nBcc: victim@example.com' }],
    ['To', { entry: { to: 'ana@example.com\r\nBcc: victim@example.com' } }],
    ['From', { from: 'Ledgerly\n <hello@ledgerly.example>' }],
  ] as const)('refuses a %s containing a line break, without calling SES', async (header, overrides) => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: 'never' });
    const { mailer } = mailerRecordingSleeps();

    // Act
    const outcome = await mailer.send(outgoing(overrides));

    // Assess
    expect(outcome).toEqual({ status: 'rejected', reason: `the ${header} header contains a line break (refused: header injection)` });
    expect(ses.calls()).toHaveLength(0);
  });
});

describe('SesMailer: the SendEmail request', () => {
  it('goes through the configuration set, so SES publishes the email\'s events', async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
    const { mailer } = mailerRecordingSleeps({ configurationSetName: 'waymark-events' });

    // Act
    await mailer.send(outgoing());

    // Assess
    expect(sentInputs()[0]).toMatchObject({
      ConfigurationSetName: 'waymark-events',
      Destination: { ToAddresses: ['ana@example.com'] },
      Content: { Simple: { Subject: { Data: 'Welcome, Ana', Charset: 'UTF-8' }, Body: { Html: { Data: '<p>Hi Ana</p>' }, Text: { Data: 'Hi Ana' } } } },
    });
  });

  it('names no configuration set when none is configured (local SES)', async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
    const { mailer } = mailerRecordingSleeps();

    // Act
    await mailer.send(outgoing({ replyTo: 'support@ledgerly.example' }));

    // Assess
    expect(sentInputs()[0]).not.toHaveProperty('ConfigurationSetName');
    expect(sentInputs()[0]?.ReplyToAddresses).toEqual(['support@ledgerly.example']);
  });

  it('carries the RFC 8058 one-click unsubscribe headers: an https link, a mailto alternative, and List-Unsubscribe-Post', async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
    const { mailer } = mailerRecordingSleeps();

    // Act
    await mailer.send(outgoing());

    // Assess
    const headers = sentInputs()[0]?.Content?.Simple?.Headers;
    expect(headers).toEqual([
      { Name: 'List-Unsubscribe', Value: expect.stringMatching(/^<https:\/\/unsubscribe\.example\.com\/\?token=v2\.[\w-]+>, <mailto:unsubscribe@mail\.example\.com\?subject=unsubscribe%20v2\.[\w-]+>$/) },
      { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
    ]);
  });

  it('tags the message with SES-safe values, from which the email\'s identity comes back unchanged', async () => {
    // Prepare: ids with characters SES tag values do not allow.
    ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
    const { mailer } = mailerRecordingSleeps();
    const odd = { customerId: 'ana+vip@example.com/ü 42', stepId: 'engaged? (yes/no) ✓' };

    // Act
    await mailer.send(outgoing({ entry: odd }));

    // Assess: every value is [A-Za-z0-9_-]; read back as SES events deliver tags, the identity is intact.
    const tags = sentInputs()[0]?.EmailTags ?? [];
    expect(tags.map((t) => t.Name)).toEqual(['waymark-customer', 'waymark-workflow', 'waymark-version', 'waymark-step', 'waymark-seq', 'waymark-content']);
    for (const tag of tags) expect(tag.Value).toMatch(/^[A-Za-z0-9_-]+$/);
    const asDelivered = Object.fromEntries(tags.map((t) => [t.Name!, [t.Value!]]));
    expect(identityFromTags(asDelivered)).toEqual({ customerId: odd.customerId, workflowId: 'cold-traffic-nurture', version: 2, stepId: odd.stepId, seq: 3, contentId: 'article-1' });
  });

  it('encodes a non-ASCII display name (RFC 2047) and leaves an ASCII one alone', async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
    const { mailer } = mailerRecordingSleeps();

    // Act
    await mailer.send(outgoing({ from: 'Ledgerly Café <hello@ledgerly.example>' }));
    await mailer.send(outgoing({ from: 'Ledgerly <hello@ledgerly.example>' }));

    // Assess
    const encoded = `=?UTF-8?B?${Buffer.from('Ledgerly Café', 'utf8').toString('base64')}?= <hello@ledgerly.example>`;
    expect(sentInputs().map((input) => input.FromEmailAddress)).toEqual([encoded, 'Ledgerly <hello@ledgerly.example>']);
    expect(encodeAddress('"Zoë" <zoe@example.com>')).toBe(`=?UTF-8?B?${Buffer.from('Zoë', 'utf8').toString('base64')}?= <zoe@example.com>`);
  });
});
