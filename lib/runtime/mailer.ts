/**
 * The mailer port. The delivery service renders; a mailer only delivers, and
 * says whether the message went (`sent`), was refused for good (`rejected`),
 * or may have gone (`unknown`: the connection broke after the request left).
 * Failures that prove the message was not accepted (throttling, no
 * connection) are thrown, so the stream retries the record.
 */
import type { DecidedEmail } from '../engine/model';
import type { ContentItem } from '../engine/schema';
import type { RenderedEmail } from './render';
import type { OutboxEntry } from './store';

export interface UnsubscribeLink {
  /** https URL: GET shows a confirmation page, POST (RFC 8058 one-click) unsubscribes. */
  url: string;
  /** mailto: alternative for List-Unsubscribe, when configured. */
  mailto?: string;
}

export interface UnsubscribeLinks {
  forEmail(entry: OutboxEntry): UnsubscribeLink;
}

export interface OutgoingEmail {
  entry: OutboxEntry;
  from: string;
  replyTo?: string | undefined;
  rendered: RenderedEmail;
  unsubscribe: UnsubscribeLink;
  item: ContentItem;
}

export type SendOutcome =
  | { status: 'sent'; messageId: string }
  /** Refused for good (SES said no): the email is marked failed with the reason. */
  | { status: 'rejected'; reason: string }
  /** The request may have reached SES, but no answer came back: it may or may not go out. Never retried blindly. */
  | { status: 'unknown'; reason: string };

export interface Mailer {
  send(email: OutgoingEmail): Promise<SendOutcome>;
}

/** An email as a recording mailer keeps it: what was decided (with its `seq` in the journey, as SES tags carry it), its subject and message id. */
export interface RecordedEmail extends DecidedEmail {
  messageId: string;
  subject: string;
}

/** Keeps what it is asked to send, in memory: `waymark run`, `test` and `simulate`. */
export class RecordingMailer implements Mailer {
  readonly sent: RecordedEmail[] = [];

  async send(email: OutgoingEmail): Promise<SendOutcome> {
    const { entry } = email;
    const messageId = `local-${this.sent.length + 1}`;
    this.sent.push({
      messageId,
      seq: entry.seq,
      at: entry.at,
      customerId: entry.customerId,
      workflowId: entry.workflowId,
      version: entry.version,
      stepId: entry.stepId,
      stage: entry.stage,
      contentId: entry.contentId,
      to: entry.to,
      subject: email.rendered.subject,
    });
    return { status: 'sent', messageId };
  }
}
