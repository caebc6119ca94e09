/**
 * Handler configuration, parsed once from the environment with zod. Missing
 * or malformed variables fail at cold start, naming each one and what it is
 * for. No placeholder defaults: a value either comes from the deployment or
 * has a documented default that is correct in production.
 */
// zod/mini (tree-shakable): this module is in every Lambda bundle.
import * as z from 'zod/mini';

const describe = {
  TABLE_NAME: 'the DynamoDB table holding journeys, profiles, suppressions and counters',
  WORK_QUEUE_URL: 'the SQS queue the advance function reads (wake-ups and suppression notices go there)',
  SEND_FAILURES_QUEUE_URL: 'the SQS queue where the send path records emails whose outcome is unknown (and its stream failures)',
  DEAD_LETTER_QUEUE_URL: 'the SQS dead-letter queue where invalid inputs are kept with their reason',
  UNSUBSCRIBE_URL: 'the public https URL of the unsubscribe function',
  UNSUBSCRIBE_KEYS_SECRET_ARN: 'the Secrets Manager secret with the unsubscribe signing keys ({"current": "...", "previous": [...]})',
  UNSUBSCRIBE_KEYS: 'the unsubscribe signing keys, comma-separated, current first (local runs; Lambda uses UNSUBSCRIBE_KEYS_SECRET_ARN)',
  UNSUBSCRIBE_MAILTO: 'an address for mailto: unsubscribe requests',
  SES_CONFIGURATION_SET: 'the SES configuration set that publishes email events',
  DUE_SHARDS: 'shards per minute bucket of the due-time index',
  WORKFLOW_BUNDLE: 'the deployed workflows and content (JSON), relative to the function code',
  EVENT_BUS_NAME: 'the EventBridge bus journey events are published to (optional)',
  SWEEP_BATCH_LIMIT: 'how many due journeys one sweep run enqueues at most',
} as const;

export type ConfigName = keyof typeof describe;

const httpUrl = z.url({ protocol: /^https?$/ });

const Schema = z.object({
  TABLE_NAME: z.optional(z.string().check(z.minLength(1))),
  WORK_QUEUE_URL: z.optional(httpUrl),
  SEND_FAILURES_QUEUE_URL: z.optional(httpUrl),
  DEAD_LETTER_QUEUE_URL: z.optional(httpUrl),
  UNSUBSCRIBE_URL: z.optional(httpUrl),
  UNSUBSCRIBE_KEYS_SECRET_ARN: z.optional(z.string().check(z.startsWith('arn:'))),
  UNSUBSCRIBE_KEYS: z.optional(z.string().check(z.minLength(16))),
  UNSUBSCRIBE_MAILTO: z.optional(z.email()),
  SES_CONFIGURATION_SET: z.optional(z.string().check(z.minLength(1))),
  DUE_SHARDS: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(64)), 4),
  WORKFLOW_BUNDLE: z._default(z.string().check(z.minLength(1)), 'workflows.json'),
  EVENT_BUS_NAME: z.optional(z.string().check(z.minLength(1))),
  SWEEP_BATCH_LIMIT: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100_000)), 5000),
});

export type Config = z.infer<typeof Schema>;

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/**
 * Parses the variables a handler needs. `required` lists those it cannot do
 * without; the others are optional or have defaults.
 */
export function parseConfig<K extends ConfigName>(env: Record<string, string | undefined>, required: readonly K[]): Config & { [P in K]-?: NonNullable<Config[P]> } {
  const problems: string[] = [];
  for (const name of required) {
    if (env[name] === undefined || env[name] === '') problems.push(`missing ${name} (${describe[name]})`);
  }
  const picked = Object.fromEntries(Object.keys(describe).map((name) => [name, env[name] === '' ? undefined : env[name]]));
  const parsed = Schema.safeParse(picked);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]) as ConfigName;
      if (!problems.some((p) => p.includes(` ${name} `))) problems.push(`invalid ${name} (${describe[name]}): ${issue.message}`);
    }
  }
  if (problems.length > 0) throw new ConfigurationError(`Waymark cannot start: ${problems.join('; ')}`);
  return parsed.data as Config & { [P in K]-?: NonNullable<Config[P]> };
}
