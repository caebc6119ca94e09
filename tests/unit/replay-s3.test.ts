/**
 * Reading the AWS event archive from S3 (mocked: the real service needs an
 * account): the day prefixes of the period are listed page by page, objects
 * are read in key order and gunzip'd, and S3's errors become sentences.
 */
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, NoSuchBucket, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { archiveLine } from '../../lib/replay/archive-format';
import { orderedTimeline } from '../../lib/replay/ordered-timeline';
import { parseS3Uri, s3Source } from '../../lib/replay/s3-source';
import { ReplaySourceError } from '../../lib/replay/sources';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-west-1' });
const BUCKET = 'waymark-eventarchive-1a2b3c';
const at = (iso: string) => Date.parse(iso);
const line = (customerId: string, iso: string) => archiveLine({ id: customerId, source: 'com.acme.web', 'detail-type': 'lead.captured', time: iso, detail: { customerId } }, at(iso));
const body = (text: string, gzip = true) => ({ Body: Readable.from([gzip ? gzipSync(text) : Buffer.from(text)]) as never });

async function customersOf(source: ReturnType<typeof s3Source>): Promise<string[]> {
  const out: string[] = [];
  for await (const input of orderedTimeline([source])) if (input.kind === 'item' && input.item.kind === 'event') out.push((input.item.event as { detail: { customerId: string } }).detail.customerId);
  return out;
}

beforeEach(() => s3.reset());

describe('parseS3Uri', () => {
  it('takes s3://bucket/prefix, and s3://bucket alone as the archive prefix events/', () => {
    expect(parseS3Uri(`s3://${BUCKET}/events`)).toEqual({ bucket: BUCKET, prefix: 'events/' });
    expect(parseS3Uri(`s3://${BUCKET}/archive/events/`)).toEqual({ bucket: BUCKET, prefix: 'archive/events/' });
    expect(parseS3Uri(`s3://${BUCKET}`)).toEqual({ bucket: BUCKET, prefix: 'events/' });
    expect(() => parseS3Uri('https://example.com/x')).toThrow(/not an S3 location: expected s3:\/\/bucket\/prefix/);
  });
});

describe('the S3 archive source', () => {
  it('--since lists only the days of the period, each page by page, and reads the objects in key order (time order), gunzip\'d', async () => {
    s3.on(ListObjectsV2Command, { Prefix: 'events/2026/11/01/' }).resolves({ Contents: [] });
    s3.on(ListObjectsV2Command, { Prefix: 'events/2026/11/02/' })
      .resolvesOnce({ Contents: [{ Key: 'events/2026/11/02/stream-1-2026-11-02-14-10-00-b.gz', Size: 10 }], IsTruncated: true, NextContinuationToken: 'page-2' })
      .resolvesOnce({ Contents: [{ Key: 'events/2026/11/02/stream-1-2026-11-02-14-05-00-a.gz', Size: 10 }, { Key: 'events/2026/11/02/', Size: 0 }], IsTruncated: false });
    s3.on(ListObjectsV2Command, { Prefix: 'events/2026/11/03/' }).resolves({ Contents: [{ Key: 'events/2026/11/03/stream-1-2026-11-03-09-00-00-c.gz', Size: 10 }] });
    s3.on(GetObjectCommand, { Key: 'events/2026/11/02/stream-1-2026-11-02-14-05-00-a.gz' }).callsFake(() => body(`${line('ana', '2026-11-02T14:04:00Z')}\n${line('ben', '2026-11-02T14:06:00Z')}\n`));
    s3.on(GetObjectCommand, { Key: 'events/2026/11/02/stream-1-2026-11-02-14-10-00-b.gz' }).callsFake(() => body(`${line('cara', '2026-11-02T14:09:00Z')}\n`));
    s3.on(GetObjectCommand, { Key: 'events/2026/11/03/stream-1-2026-11-03-09-00-00-c.gz' }).callsFake(() => body(`${line('dev', '2026-11-03T08:59:00Z')}\n`, false));

    const source = s3Source(client, `s3://${BUCKET}/events`, { since: at('2026-11-01T12:00:00Z'), until: at('2026-11-03T20:00:00Z') });
    expect(await customersOf(source)).toEqual(['ana', 'ben', 'cara', 'dev']);
    const listed = s3.commandCalls(ListObjectsV2Command).map((c) => [c.args[0].input.Prefix, c.args[0].input.ContinuationToken ?? null]);
    expect(listed).toEqual([
      ['events/2026/11/01/', null],
      ['events/2026/11/02/', null],
      ['events/2026/11/02/', 'page-2'],
      ['events/2026/11/03/', null],
    ]);
    expect(s3.commandCalls(ListObjectsV2Command).every((c) => c.args[0].input.Bucket === BUCKET)).toBe(true);
  });

  it('without --since, lists everything under the prefix', async () => {
    s3.on(ListObjectsV2Command, { Prefix: 'events/' }).resolves({ Contents: [{ Key: 'events/2026/11/02/x.gz', Size: 5 }] });
    s3.on(GetObjectCommand).callsFake(() => body(`${line('ana', '2026-11-02T14:04:00Z')}\n`));
    expect(await customersOf(s3Source(client, `s3://${BUCKET}`))).toEqual(['ana']);
  });

  it('says what is wrong: no bucket, access denied, an object expired meanwhile, nothing archived for the period', async () => {
    s3.on(ListObjectsV2Command).rejects(new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: {} }));
    await expect(customersOf(s3Source(client, `s3://${BUCKET}/events`))).rejects.toThrow(new ReplaySourceError(`cannot list s3://${BUCKET}/events/: no bucket named ${BUCKET} (the EventArchive output of the stack names it)`));

    s3.reset();
    s3.on(ListObjectsV2Command).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', $metadata: {} }));
    await expect(customersOf(s3Source(client, `s3://${BUCKET}/events`))).rejects.toThrow(/access denied to s3:\/\/waymark-eventarchive-1a2b3c\/events\/: the credentials need s3:ListBucket on the bucket and s3:GetObject on events\/\*/);

    s3.reset();
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'events/2026/11/02/gone.gz', Size: 5 }] });
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));
    await expect(customersOf(s3Source(client, `s3://${BUCKET}/events`))).rejects.toThrow(/cannot read s3:\/\/waymark-eventarchive-1a2b3c\/events\/2026\/11\/02\/gone.gz: .* is gone \(expired by the bucket's lifecycle rule/);

    s3.reset();
    s3.on(ListObjectsV2Command).resolves({});
    await expect(customersOf(s3Source(client, `s3://${BUCKET}/events`, { since: at('2026-11-02T00:00:00Z'), until: at('2026-11-02T10:00:00Z') }))).rejects.toThrow(
      `no archived events under s3://${BUCKET}/events/ for events/2026/11/02/: is the archive deployed (-c archiveEvents=true), and has Firehose written yet (it buffers up to 5 minutes)?`,
    );
  });

  it('a connection that breaks in the middle of an object names the object and the line it got to', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'events/2026/11/02/a.gz', Size: 5 }] });
    const broken = async function* () {
      yield Buffer.from(`${line('ana', '2026-11-02T14:04:00Z')}\n`);
      throw new Error('socket hang up');
    };
    s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from(broken()) as never }));
    await expect(customersOf(s3Source(client, `s3://${BUCKET}/events`))).rejects.toThrow(`cannot read s3://${BUCKET}/events/2026/11/02/a.gz (after line 1): socket hang up`);
  });
});
