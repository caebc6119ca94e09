/**
 * The AWS event archive as a replay source: the objects Firehose wrote under
 * `s3://bucket/events/YYYY/MM/DD/`, listed (ListObjectsV2, only the day
 * prefixes of the period when `since` is given), read in key order (Firehose
 * names objects by the time it wrote them, so key order is time order) and
 * streamed, gunzip'd as they come (sources.ts).
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ARCHIVE_PREFIX, daysBetween } from './archive-format';
import { type EventSource, ReplaySourceError, type SourceFile } from './sources';

export interface S3Location {
  bucket: string;
  /** Ends with "/" (or is empty: the bucket's root). */
  prefix: string;
}

/** `s3://bucket/prefix` → bucket and prefix; `s3://bucket` alone is the archive's own prefix, `events/`. */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (!match) throw new ReplaySourceError(`"${uri}" is not an S3 location: expected s3://bucket/prefix, e.g. s3://waymark-eventarchive-1a2b3c/events`);
  const path = match[2] ?? '';
  return { bucket: match[1]!, prefix: path === '' ? ARCHIVE_PREFIX : path.endsWith('/') ? path : `${path}/` };
}

/** The S3 errors a reader can act on, in words. */
function explain(error: unknown, location: S3Location, key?: string): string {
  const name = (error as { name?: string }).name ?? '';
  const where = key ? `s3://${location.bucket}/${key}` : `s3://${location.bucket}/${location.prefix}`;
  switch (name) {
    case 'NoSuchBucket':
      return `no bucket named ${location.bucket} (the EventArchive output of the stack names it)`;
    case 'AccessDenied':
    case 'AccessDeniedException':
    case 'Forbidden':
      return `access denied to ${where}: the credentials need s3:ListBucket on the bucket and s3:GetObject on ${location.prefix}* (and kms:Decrypt when the bucket uses a KMS key)`;
    case 'NoSuchKey':
      return `${where} is gone (expired by the bucket's lifecycle rule while the replay ran?)`;
    case 'InvalidObjectState':
      return `${where} is in an archive storage class: restore it before replaying`;
    case 'CredentialsProviderError':
    case 'CredentialsError':
      return `no AWS credentials: ${(error as Error).message}`;
    default:
      return `${where}: ${(error as Error).message || name}`;
  }
}

/** Every key under a prefix, in key order, page by page. */
async function listKeys(client: S3Client, location: S3Location, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(new ListObjectsV2Command({ Bucket: location.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    } catch (error) {
      throw new ReplaySourceError(`cannot list ${`s3://${location.bucket}/${prefix}`}: ${explain(error, location)}`, { cause: error });
    }
    for (const object of page.Contents ?? []) if (object.Key && !object.Key.endsWith('/') && (object.Size ?? 1) > 0) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

/**
 * The archive at `uri` as one source. `since`: only the day prefixes (UTC) from that day to `until`
 * (default now) are listed; without it, everything under the prefix.
 */
export function s3Source(client: S3Client, uri: string, options: { since?: number; until?: number } = {}): EventSource & { location: S3Location } {
  const location = parseS3Uri(uri);
  return {
    name: `s3://${location.bucket}/${location.prefix}`,
    location,
    async *files(): AsyncGenerator<SourceFile> {
      const prefixes = options.since === undefined ? [location.prefix] : daysBetween(options.since, options.until ?? Date.now()).map((day) => `${location.prefix}${day.replaceAll('-', '/')}/`);
      let found = 0;
      for (const prefix of prefixes) {
        for (const key of await listKeys(client, location, prefix)) {
          found += 1;
          yield {
            name: `s3://${location.bucket}/${key}`,
            async open() {
              try {
                const object = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }));
                if (!object.Body) throw new Error('the object has no body');
                return object.Body as AsyncIterable<Uint8Array>;
              } catch (error) {
                throw new ReplaySourceError(`cannot read s3://${location.bucket}/${key}: ${explain(error, location, key)}`, { cause: error });
              }
            },
          };
        }
      }
      if (found === 0) {
        const period = options.since === undefined ? '' : ` for ${prefixes.length === 1 ? prefixes[0] : `${prefixes[0]} … ${prefixes.at(-1)}`}`;
        throw new ReplaySourceError(`no archived events under s3://${location.bucket}/${location.prefix}${period}: is the archive deployed (-c archiveEvents=true), and has Firehose written yet (it buffers up to 5 minutes)?`);
      }
    },
  };
}
