/**
 * Handler configuration. A handler reads its environment once, at cold start:
 * every missing or malformed variable is named, with what it is for, in one
 * error; documented defaults apply; optional variables may be left out.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError, parseConfig } from '../../lib/runtime/config';

/** What a deployed advance function gets. */
const deployed = {
  TABLE_NAME: 'waymark-prod',
  WORK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111122223333/waymark-work',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111122223333/waymark-dead-letters',
  UNSUBSCRIBE_URL: 'https://abc123.lambda-url.eu-west-1.on.aws/',
};
const allRequired = ['TABLE_NAME', 'WORK_QUEUE_URL', 'DEAD_LETTER_QUEUE_URL', 'UNSUBSCRIBE_URL'] as const;

/** The message of the ConfigurationError parseConfig throws (fails the test if it does not throw one). */
function problemsOf(env: Record<string, string | undefined>, required: readonly (typeof allRequired)[number][] = allRequired): string {
  try {
    parseConfig(env, required);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected parseConfig to throw a ConfigurationError');
}

/** "missing TABLE_NAME", "invalid DUE_SHARDS"…: the problems a message names, in order. */
const named = (message: string): string[] => [...message.matchAll(/\b(missing|invalid) ([A-Z_]+) \(/g)].map((m) => `${m[1]} ${m[2]}`);

describe('parseConfig: missing variables', () => {
  it('names every missing required variable, with its purpose, in one error', () => {
    // Prepare: nothing set.
    const env = {};

    // Act
    const message = problemsOf(env);

    // Assess
    expect(message).toMatch(/^Waymark cannot start: /);
    expect(message).toContain('missing TABLE_NAME (the DynamoDB table holding journeys, profiles, suppressions and counters)');
    expect(message).toContain('missing WORK_QUEUE_URL (the SQS queue the advance function reads');
    expect(message).toContain('missing DEAD_LETTER_QUEUE_URL (the SQS dead-letter queue where invalid inputs are kept with their reason)');
    expect(message).toContain('missing UNSUBSCRIBE_URL (the public https URL of the unsubscribe function)');
    expect(named(message)).toEqual(['missing TABLE_NAME', 'missing WORK_QUEUE_URL', 'missing DEAD_LETTER_QUEUE_URL', 'missing UNSUBSCRIBE_URL']);
  });

  it('treats an empty variable as missing', () => {
    // Prepare
    const env = { ...deployed, TABLE_NAME: '' };

    // Act
    const message = problemsOf(env);

    // Assess
    expect(message).toBe('Waymark cannot start: missing TABLE_NAME (the DynamoDB table holding journeys, profiles, suppressions and counters)');
  });

  it('requires only what the handler lists: the sweep needs no unsubscribe URL', () => {
    // Prepare
    const env = { TABLE_NAME: 'waymark-prod', WORK_QUEUE_URL: deployed.WORK_QUEUE_URL };

    // Act
    const config = parseConfig(env, ['TABLE_NAME', 'WORK_QUEUE_URL']);

    // Assess
    expect(config.TABLE_NAME).toBe('waymark-prod');
    expect(config.UNSUBSCRIBE_URL).toBeUndefined();
  });
});

describe('parseConfig: malformed variables', () => {
  it.each([
    ['WORK_QUEUE_URL', 'not a url', 'the SQS queue the advance function reads'],
    ['WORK_QUEUE_URL', 'localhost:4566/000000000000/waymark-work', 'the SQS queue the advance function reads'],
    ['DEAD_LETTER_QUEUE_URL', 'sqs/waymark-dead-letters', 'the SQS dead-letter queue'],
    ['UNSUBSCRIBE_URL', 'ftp://unsubscribe.example/', 'the public https URL of the unsubscribe function'],
    ['UNSUBSCRIBE_URL', 'javascript:alert(1)', 'the public https URL of the unsubscribe function'],
    ['DUE_SHARDS', '0', 'shards per minute bucket of the due-time index'],
    ['DUE_SHARDS', 'four', 'shards per minute bucket of the due-time index'],
    ['DUE_SHARDS', '65', 'shards per minute bucket of the due-time index'],
    ['SWEEP_BATCH_LIMIT', '2.5', 'how many due journeys one sweep run enqueues at most'],
    ['UNSUBSCRIBE_MAILTO', 'unsubscribe', 'an address for mailto: unsubscribe requests'],
    ['UNSUBSCRIBE_KEYS', 'short', 'the unsubscribe signing keys'],
    ['UNSUBSCRIBE_KEYS_SECRET_ARN', 'waymark/unsubscribe-keys', 'the Secrets Manager secret'],
  ])('rejects %s=%j, naming it and its purpose', (name, value, purpose) => {
    // Prepare
    const env = { ...deployed, [name]: value };

    // Act
    const message = problemsOf(env);

    // Assess
    expect(message).toContain(`invalid ${name} (${purpose}`);
    expect(named(message)).toEqual([`invalid ${name}`]);
  });

  it('reports missing and malformed variables together, each once', () => {
    // Prepare
    const env = { WORK_QUEUE_URL: 'not a url', DEAD_LETTER_QUEUE_URL: deployed.DEAD_LETTER_QUEUE_URL, UNSUBSCRIBE_URL: deployed.UNSUBSCRIBE_URL, DUE_SHARDS: '0' };

    // Act
    const message = problemsOf(env);

    // Assess
    expect(named(message)).toEqual([
      'missing TABLE_NAME',
      'invalid WORK_QUEUE_URL',
      'invalid DUE_SHARDS',
    ]);
  });
});

describe('parseConfig: defaults and optional variables', () => {
  it('applies the documented defaults', () => {
    // Prepare
    const env = { ...deployed };

    // Act
    const config = parseConfig(env, allRequired);

    // Assess
    expect(config).toMatchObject({ DUE_SHARDS: 4, WORKFLOW_BUNDLE: 'workflows.json', SWEEP_BATCH_LIMIT: 5000 });
    expect(config.SES_CONFIGURATION_SET).toBeUndefined();
    expect(config.EVENT_BUS_NAME).toBeUndefined();
    expect(config.UNSUBSCRIBE_MAILTO).toBeUndefined();
  });

  it('treats an empty optional variable as unset, so its default applies', () => {
    // Prepare
    const env = { ...deployed, DUE_SHARDS: '', SES_CONFIGURATION_SET: '' };

    // Act
    const config = parseConfig(env, allRequired);

    // Assess
    expect(config.DUE_SHARDS).toBe(4);
    expect(config.SES_CONFIGURATION_SET).toBeUndefined();
  });

  it('accepts optional variables and reads numbers from their text', () => {
    // Prepare
    const env = {
      ...deployed,
      DUE_SHARDS: '16',
      SWEEP_BATCH_LIMIT: '20000',
      WORKFLOW_BUNDLE: 'bundle/workflows.json',
      SES_CONFIGURATION_SET: 'waymark-events',
      EVENT_BUS_NAME: 'waymark-journeys',
      UNSUBSCRIBE_MAILTO: 'unsubscribe@mail.ledgerly.example',
      UNSUBSCRIBE_KEYS_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:waymark/unsubscribe-keys-AbCdEf',
      UNSUBSCRIBE_KEYS: 'current-key-0123456789,previous-key-0123456789',
    };

    // Act
    const config = parseConfig(env, allRequired);

    // Assess
    expect(config).toEqual({ ...env, DUE_SHARDS: 16, SWEEP_BATCH_LIMIT: 20000 });
  });

  it('ignores the rest of the environment', () => {
    // Prepare
    const env = { ...deployed, AWS_REGION: 'eu-west-1', PATH: '/usr/bin', BRAND_NAME: 'Ledgerly' };

    // Act
    const config = parseConfig(env, allRequired);

    // Assess
    expect(Object.keys(config)).not.toContain('AWS_REGION');
    expect(Object.keys(config)).not.toContain('PATH');
  });
});
