/**
 * The S3 ingestion source: the JSONL and CSV objects under a bucket's prefix, read with the AWS
 * SDK for JavaScript v3 (AWS S3, or any S3-compatible server through `endpoint`). Each run reads
 * only the objects the last successful run did not: those modified after the newest one it read,
 * and those modified in that same instant that it did not read. Should an object be read twice
 * anyway, nothing is stored twice (ingest de-duplicates by content).
 */
import { Readable } from 'node:stream';
import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { formatOf } from '../data/records.js';
import { fileRecords, RECORD_FILE, type Source } from './sources.js';

export interface S3Location {
  bucket: string;
  /** Key prefix; empty for the whole bucket. */
  prefix: string;
}

export interface S3SourceOptions extends S3Location {
  /** Default: AWS_REGION, else us-east-1. */
  region?: string;
  /** An S3-compatible server's URL; addressed with path-style requests. Default: AWS. */
  endpoint?: string;
  /**
   * Explicit credentials; default the SDK's chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
   * which a pod takes from a Secret).
   */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** `s3://bucket/prefix` → bucket and prefix. */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match)
    throw new Error(`"${url}" is not an S3 location: write s3://bucket or s3://bucket/prefix`);
  return { bucket: match[1]!, prefix: match[2]! };
}

interface ObjectEntry {
  key: string;
  modified: Date;
}

/** Where the last run stopped: the newest modification time read, and the keys read at it. */
export interface S3Checkpoint {
  modified: string;
  keys: string[];
}

/** Record files the checkpoint does not cover, oldest first. Pure. */
export function objectsToRead(
  objects: readonly ObjectEntry[],
  after: S3Checkpoint | undefined,
): ObjectEntry[] {
  const since = after ? Date.parse(after.modified) : -Infinity;
  const covered = new Set(after?.keys);
  return objects
    .filter(
      (o) =>
        RECORD_FILE.test(o.key) &&
        (o.modified.getTime() > since || (o.modified.getTime() === since && !covered.has(o.key))),
    )
    .sort((a, b) => a.modified.getTime() - b.modified.getTime() || a.key.localeCompare(b.key));
}

/** The checkpoint after reading `object`, from the one before. Pure. */
export function advance(checkpoint: S3Checkpoint | undefined, object: ObjectEntry): S3Checkpoint {
  const modified = object.modified.toISOString();
  if (checkpoint && Date.parse(checkpoint.modified) > object.modified.getTime()) return checkpoint;
  if (checkpoint?.modified === modified)
    return { modified, keys: [...checkpoint.keys, object.key] };
  return { modified, keys: [object.key] };
}

export function s3Source(options: S3SourceOptions): Source {
  const client = new S3Client({
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: 4,
  });
  const { bucket, prefix } = options;
  const where = `s3://${bucket}/${prefix}`;
  let checkpoint: S3Checkpoint | undefined;
  return {
    name: `s3:${bucket}/${prefix}`,
    incremental: {
      resumeFrom(saved) {
        checkpoint = saved === undefined ? undefined : (JSON.parse(saved) as S3Checkpoint);
      },
      checkpoint: () => (checkpoint ? JSON.stringify(checkpoint) : undefined),
    },
    async *records() {
      const listed: ObjectEntry[] = [];
      try {
        for await (const page of paginateListObjectsV2(
          { client },
          { Bucket: bucket, ...(prefix ? { Prefix: prefix } : {}) },
        )) {
          for (const object of page.Contents ?? [])
            if (object.Key && object.LastModified)
              listed.push({ key: object.Key, modified: object.LastModified });
        }
      } catch (cause) {
        throw new Error(`listing ${where} failed: ${describe(cause)}`, { cause });
      }
      for (const object of objectsToRead(listed, checkpoint)) {
        let body: Readable;
        try {
          const response = await client.send(
            new GetObjectCommand({ Bucket: bucket, Key: object.key }),
          );
          body = response.Body as Readable;
        } catch (cause) {
          throw new Error(`reading s3://${bucket}/${object.key} failed: ${describe(cause)}`, {
            cause,
          });
        }
        yield* fileRecords(object.key, body, formatOf(object.key));
        checkpoint = advance(checkpoint, object);
      }
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
