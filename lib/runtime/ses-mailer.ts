/**
 * The Mailer on Amazon SES v2. Every message goes through the configuration
 * set (so SES reports deliveries, opens, clicks, bounces and complaints), is
 * tagged with the Waymark email it is, and carries RFC 8058 one-click
 * unsubscribe headers:
 *
 *   List-Unsubscribe: <https://…/unsubscribe?token=…>, <mailto:unsubscribe@…?subject=…>
 *   List-Unsubscribe-Post: List-Unsubscribe=One-Click
 *
 * SES has no idempotency key, so a SendEmail is retried only when the error
 * proves SES did not accept it: throttling (429), SES saying it is unavailable
 * (503), or a connection that was never established. The SDK client must not
 * retry on its own (`maxAttempts: 1`, see aws.ts): when the connection breaks
 * after the request was sent (reset, timeout), SES may have accepted the
 * message, and the outcome is returned as `unknown` for the caller to record,
 * never resent blindly. A permanent rejection is returned as data, with
 * SES's reason, and the email is marked failed.
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

/** SES errors that mean "not now, and not accepted": retried here with back-off, then by the stream. */
const THROTTLING = new Set(['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'LimitExceededException', 'ServiceUnavailable', 'ServiceUnavailableException']);
/** SES refusing for now in a way an operator must fix (account paused, configuration set missing): not accepted, retried by the stream, never dropped. */
const OPERATIONAL = new Set(['AccountSuspendedException', 'SendingPausedException', 'NotFoundException']);
/** Network errors raised before a connection existed: the request never reached SES. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** How an error from SendEmail is to be read. */
export function classifySendError(error: unknown): 'throttled' | 'not-accepted' | 'rejected' | 'unknown' {
  const { name = '', code, message = '', $metadata } = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = $metadata?.httpStatusCode;
  if (THROTTLING.has(name) || status === 429 || status === 503) return 'throttled';
  if (OPERATIONAL.has(name)) return 'not-accepted';
  if (status !== undefined && status >= 400 && status < 500) return 'rejected';
  if (status === undefined && ((code !== undefined && NEVER_CONNECTED.has(code)) || /did not establish a connection/.test(message))) return 'not-accepted';
  // A reset, a timeout waiting for the answer, a 500: SES may have taken the message.
  return 'unknown';
}

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
        const message = (error as Error).message;
        const name = (error as { name?: string }).name || 'network error';
        switch (classifySendError(error)) {
          case 'throttled':
            if (attempt >= this.maxAttempts) throw new MailThrottledError(`SES throttled ${attempt} attempts to send: ${message}`, { cause: error });
            await this.sleep(this.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
            continue;
          case 'not-accepted':
            throw new MailUnavailableError(`SES did not take the email (${name}): ${message}`, { cause: error });
          case 'rejected':
            // MessageRejected, MailFromDomainNotVerifiedException, BadRequestException…: this email will never go.
            return { status: 'rejected', reason: `${name}: ${message}` };
          case 'unknown':
            return { status: 'unknown', reason: `${name}: ${message}` };
        }
      }
    }
  }
}
