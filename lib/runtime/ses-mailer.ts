/**
 * The Mailer on Amazon SES v2. Every message goes through the configuration
 * set (so SES reports deliveries, opens, clicks, bounces and complaints), is
 * tagged with the Waymark email it is, and carries RFC 8058 one-click
 * unsubscribe headers:
 *
 *   List-Unsubscribe: <https://…/unsubscribe?token=…>, <mailto:unsubscribe@…?subject=…>
 *   List-Unsubscribe-Post: List-Unsubscribe=One-Click
 *
 * Throttling is retried here with exponential back-off and jitter, then handed
 * to the queue (thrown). A permanent rejection is returned as data, with SES's
 * reason, and the email is marked failed.
 */
import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { Mailer, OutgoingEmail, SendOutcome, UnsubscribeLink } from './mailer';
import { emailTags } from './ses-events';

export class MailThrottledError extends Error {
  override readonly name = 'MailThrottledError';
}

export class MailUnavailableError extends Error {
  override readonly name = 'MailUnavailableError';
}

/** SES errors that mean "not now": the email stays in the outbox and the input is retried. */
const THROTTLING = new Set(['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'LimitExceededException']);
/** SES errors that need an operator (account paused, configuration set missing): retried, never dropped. */
const OPERATIONAL = new Set(['AccountSuspendedException', 'SendingPausedException', 'NotFoundException', 'InternalServiceErrorException']);

export interface SesMailerOptions {
  configurationSetName?: string | undefined;
  /** Attempts on throttling before giving the email back to the queue. */
  maxAttempts?: number;
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export function unsubscribeHeaders(link: UnsubscribeLink): Array<{ Name: string; Value: string }> {
  const targets = [`<${link.url}>`, ...(link.mailto ? [`<${link.mailto}>`] : [])];
  return [
    { Name: 'List-Unsubscribe', Value: targets.join(', ') },
    { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
  ];
}

/** The first header-bound value containing CR or LF (a header injection), if any. */
export function headerInjection(values: Record<string, string | undefined>): string | undefined {
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && /[\r\n]/.test(value)) return name;
  }
  return undefined;
}

/** "Ledgerly Café <hello@…>" → RFC 2047 encoded display name when it is not plain ASCII. */
export function encodeAddress(address: string): string {
  const match = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(address);
  if (!match || !match[1] || /^[\x20-\x7e]*$/.test(match[1])) return address;
  return `=?UTF-8?B?${Buffer.from(match[1].replace(/^"|"$/g, ''), 'utf8').toString('base64')}?= <${match[2]}>`;
}

export class SesMailer implements Mailer {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: SESv2Client,
    private readonly options: SesMailerOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async send(email: OutgoingEmail): Promise<SendOutcome> {
    const headers = unsubscribeHeaders(email.unsubscribe);
    const injected = headerInjection({
      From: email.from,
      'Reply-To': email.replyTo,
      To: email.entry.to,
      Subject: email.rendered.subject,
      ...Object.fromEntries(headers.map((h) => [h.Name, h.Value])),
    });
    if (injected) return { status: 'rejected', reason: `the ${injected} header contains a line break (refused: header injection)` };

    const command = new SendEmailCommand({
      FromEmailAddress: encodeAddress(email.from),
      Destination: { ToAddresses: [email.entry.to] },
      ...(email.replyTo ? { ReplyToAddresses: [email.replyTo] } : {}),
      Content: {
        Simple: {
          Subject: { Data: email.rendered.subject, Charset: 'UTF-8' },
          Body: { Html: { Data: email.rendered.html, Charset: 'UTF-8' }, Text: { Data: email.rendered.text, Charset: 'UTF-8' } },
          Headers: headers,
        },
      },
      EmailTags: emailTags(email.entry),
      ...(this.options.configurationSetName ? { ConfigurationSetName: this.options.configurationSetName } : {}),
    });

    for (let attempt = 1; ; attempt++) {
      try {
        const output = await this.client.send(command);
        return { status: 'sent', messageId: output.MessageId ?? '' };
      } catch (error) {
        const name = (error as { name?: string }).name ?? '';
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (THROTTLING.has(name) || status === 429) {
          if (attempt >= this.maxAttempts) throw new MailThrottledError(`SES throttled ${attempt} attempts to send: ${(error as Error).message}`, { cause: error });
          await this.sleep(this.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
          continue;
        }
        if (OPERATIONAL.has(name) || status === undefined || status >= 500) {
          throw new MailUnavailableError(`SES could not take the email (${name || 'network error'}): ${(error as Error).message}`, { cause: error });
        }
        // MessageRejected, MailFromDomainNotVerifiedException, BadRequestException…: this email will never go.
        return { status: 'rejected', reason: `${name}: ${(error as Error).message}` };
      }
    }
  }
}
