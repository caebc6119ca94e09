/**
 * The table's stream read the way Lambda's event source mapping reads it, for
 * `waymark dev` and the integration tests: DynamoDB Local's stream through the
 * real DynamoDB Streams API (DescribeStream, GetShardIterator, GetRecords),
 * records handed to the send handler in order, per shard, in batches; a
 * partial batch failure is retried from the failed record, and a record that
 * keeps failing is reported to `onFailure` (as Lambda's on-failure
 * destination) and passed.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

export interface LocalStreamOptions {
  dynamo: DynamoDBClient;
  endpoint: string;
  tableName: string;
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
  /** Records per invocation (Lambda's BatchSize). */
  batchSize?: number;
  /** The event source mapping's filter: records it rejects are passed over without invoking the handler. */
  filter?: (record: DynamoDBRecord) => boolean;
  /** Attempts of a failing record before it is passed to onFailure (Lambda's MaximumRetryAttempts + 1). */
  maxAttempts?: number;
  onFailure?: (records: DynamoDBRecord[], reason: string) => void;
  /** Where to resume, per shard (sequence numbers already processed), e.g. after a restart of `waymark dev`. */
  checkpoints?: Record<string, string>;
}

interface ShardReader {
  iterator: string | undefined;
  /** Records read and not yet processed successfully. */
  pending: DynamoDBRecord[];
  attempts: number;
  closed: boolean;
}

export class LocalStreamReader {
  private readonly streams: DynamoDBStreamsClient;
  private streamArn: string | undefined;
  private readonly shards = new Map<string, ShardReader>();
  /** The last sequence number processed on each shard. */
  readonly checkpoints: Record<string, string>;
  constructor(private readonly options: LocalStreamOptions) {
    this.streams = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 5 });
    this.checkpoints = { ...(options.checkpoints ?? {}) };
  }

  private async arn(): Promise<string> {
    if (!this.streamArn) {
      const table = await this.options.dynamo.send(new DescribeTableCommand({ TableName: this.options.tableName }));
      const arn = table.Table?.LatestStreamArn;
      if (!arn) throw new Error(`table ${this.options.tableName} has no stream: create it with the definition in lib/runtime/table.ts`);
      this.streamArn = arn;
    }
    return this.streamArn;
  }

  private polling: Promise<number> = Promise.resolve(0);

  /** Records read and not yet processed (a failing batch waiting for its retry). */
  get pending(): number {
    let pending = 0;
    for (const reader of this.shards.values()) pending += reader.pending.length;
    return pending;
  }

  /**
   * Starts every shard at its current end: this reader sees only what is written from now on (a new
   * deployment of the send function on a table whose earlier records another reader processed).
   */
  async startAtLatest(): Promise<void> {
    const arn = await this.arn();
    const description = await this.streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    for (const shard of description.StreamDescription?.Shards ?? []) {
      if (!shard.ShardId) continue;
      const output = await this.streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: 'LATEST' }));
      this.shards.set(shard.ShardId, { iterator: output.ShardIterator, pending: [], attempts: 0, closed: !output.ShardIterator });
    }
  }

  /**
   * Reads everything available on every shard and hands it to the handler; returns the records
   * processed. Polls run one after another, as one event source mapping reads a shard in order.
   */
  poll(): Promise<number> {
    const next = this.polling.catch(() => 0).then(() => this.pollOnce());
    this.polling = next;
    return next;
  }

  private async pollOnce(): Promise<number> {
    const arn = await this.arn();
    let exclusiveStart: string | undefined;
    do {
      const description = await this.streams.send(new DescribeStreamCommand({ StreamArn: arn, ExclusiveStartShardId: exclusiveStart }));
      for (const shard of description.StreamDescription?.Shards ?? []) {
        if (shard.ShardId && !this.shards.has(shard.ShardId)) this.shards.set(shard.ShardId, { iterator: undefined, pending: [], attempts: 0, closed: false });
      }
      exclusiveStart = description.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStart);

    let processed = 0;
    for (const [shardId, reader] of this.shards) {
      if (reader.closed && reader.pending.length === 0) continue;
      await this.read(arn, shardId, reader);
      processed += await this.process(shardId, reader);
    }
    return processed;
  }

  private async read(arn: string, shardId: string, reader: ShardReader): Promise<void> {
    for (let pages = 0; pages < 100 && !reader.closed; pages++) {
      if (!reader.iterator) {
        const after = this.checkpoints[shardId];
        const output = await this.streams.send(
          new GetShardIteratorCommand({
            StreamArn: arn,
            ShardId: shardId,
            ...(after === undefined ? { ShardIteratorType: 'TRIM_HORIZON' } : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }),
          }),
        );
        reader.iterator = output.ShardIterator;
        if (!reader.iterator) {
          reader.closed = true;
          return;
        }
      }
      let output;
      try {
        output = await this.streams.send(new GetRecordsCommand({ ShardIterator: reader.iterator, Limit: 1000 }));
      } catch (error) {
        if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) {
          // Iterators expire after 15 minutes: take a new one after the last record read.
          reader.iterator = undefined;
          const last = reader.pending[reader.pending.length - 1]?.dynamodb?.SequenceNumber;
          if (last) this.checkpoints[shardId] = last;
          continue;
        }
        throw error;
      }
      const records = (output.Records ?? []).map(toLambdaRecord);
      const wanted = this.options.filter ? records.filter(this.options.filter) : records;
      reader.pending.push(...wanted);
      // Passed-over records still move the checkpoint once nothing before them is pending.
      const last = records.at(-1)?.dynamodb?.SequenceNumber;
      if (last && reader.pending.length === 0) this.checkpoints[shardId] = last;
      reader.iterator = output.NextShardIterator;
      if (!reader.iterator) reader.closed = true;
      if (records.length === 0) return;
    }
  }

  private async process(shardId: string, reader: ShardReader): Promise<number> {
    const batchSize = this.options.batchSize ?? 100;
    let processed = 0;
    while (reader.pending.length > 0) {
      const batch = reader.pending.slice(0, batchSize);
      let failedAt: number;
      try {
        const response = await this.options.handler({ Records: batch });
        const failure = response?.batchItemFailures?.[0]?.itemIdentifier;
        failedAt = failure === undefined ? -1 : batch.findIndex((r) => r.dynamodb?.SequenceNumber === failure);
      } catch {
        failedAt = 0; // the whole batch is retried, as Lambda does when a function errors
      }
      const done = failedAt < 0 ? batch.length : failedAt;
      if (done > 0) {
        reader.pending.splice(0, done);
        reader.attempts = 0;
        processed += done;
        this.checkpoints[shardId] = batch[done - 1]!.dynamodb!.SequenceNumber!;
      }
      if (failedAt >= 0) {
        reader.attempts += 1;
        if (reader.attempts < (this.options.maxAttempts ?? 10)) return processed; // retried on the next poll
        const [given] = reader.pending.splice(0, 1);
        this.options.onFailure?.([given!], `failed ${reader.attempts} times`);
        reader.attempts = 0;
        this.checkpoints[shardId] = given!.dynamodb!.SequenceNumber!;
      }
    }
    return processed;
  }

  stop(): void {
    this.streams.destroy();
  }
}

/** A Streams API record in the shape Lambda's event source mapping delivers. */
function toLambdaRecord(record: StreamRecord): DynamoDBRecord {
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: record.dynamodb as DynamoDBRecord['dynamodb'],
  };
}
