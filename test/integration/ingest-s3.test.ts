/**
 * The S3 ingestion source against the test bed's real S3-compatible server (Versity S3 Gateway)
 * and PostgreSQL: JSONL and CSV objects under a prefix, only new objects on the next run, and the
 * CLI with credentials from the environment.
 */
import { spawn } from 'node:child_process';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { migrate } from '../../lib/store/migrate.js';
import { createPool } from '../../lib/store/pool.js';
import { ingest } from '../../pipelines/src/ingest/ingest.js';
import { s3Source } from '../../pipelines/src/ingest/s3.js';
import { createTestDatabase, testbed } from './testbed.js';

const inquiry = (i: number): Record<string, unknown> => ({
  id: `s3-${i}`,
  subject: `Order ${i}`,
  body: `Hello, order ${i} has not arrived yet. Where is it?`,
  sender_email: `buyer${i}@example.com`,
  category: 'sales',
});

describe('ingest from S3', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  let client: S3Client;
  let bucket: string;

  beforeEach(async () => {
    database = await createTestDatabase('ingest_s3');
    pool = createPool(database.url);
    await migrate(pool);
    const { url, accessKeyId, secretAccessKey } = testbed.s3;
    client = new S3Client({
      region: 'us-east-1',
      endpoint: url,
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
    bucket = `inquiries-${Math.random().toString(36).slice(2, 10)}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterEach(async () => {
    client.destroy();
    await pool.end();
    await database.drop();
  });

  const put = (key: string, body: string): Promise<unknown> =>
    client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

  const source = () =>
    s3Source({
      bucket,
      prefix: 'incoming/',
      endpoint: testbed.s3.url,
      credentials: {
        accessKeyId: testbed.s3.accessKeyId,
        secretAccessKey: testbed.s3.secretAccessKey,
      },
    });

  it('reads the JSONL and CSV objects under the prefix, then only the new ones', async () => {
    await put(
      'incoming/2026-01-01.jsonl',
      `${JSON.stringify(inquiry(1))}\n${JSON.stringify(inquiry(2))}\n{ not json\n`,
    );
    await put(
      'incoming/2026-01-01.csv',
      `id,subject,body,sender_email\ns3-3,Refund,"Please refund order 3, it arrived broken.",c3@example.com\n`,
    );
    await put('incoming/notes.txt', 'not records');
    await put('elsewhere/2026-01-01.jsonl', `${JSON.stringify(inquiry(9))}\n`);

    const first = await ingest(pool, source());
    expect(first).toMatchObject({
      source: `s3:${bucket}/incoming/`,
      read: 4,
      stored: 3,
      quarantined: 1,
    });
    const { rows: quarantined } = await pool.query<{ position: string; reason: string }>(
      'SELECT position, reason FROM quarantine',
    );
    expect(quarantined).toEqual([
      { position: 'incoming/2026-01-01.jsonl:3', reason: 'not valid JSON' },
    ]);

    const again = await ingest(pool, source());
    expect(again).toMatchObject({ read: 0, stored: 0 });

    await put('incoming/2026-01-02.jsonl', `${JSON.stringify(inquiry(4))}\n`);
    const next = await ingest(pool, source());
    expect(next).toMatchObject({ read: 1, stored: 1, duplicates: 0 });
    const { rows } = await pool.query<{ external_id: string }>(
      'SELECT external_id FROM inquiries ORDER BY external_id',
    );
    expect(rows.map((r) => r.external_id)).toEqual(['s3-1', 's3-2', 's3-3', 's3-4']);
  });

  it('runs from the CLI with credentials from the environment, and says why it cannot read', async () => {
    await put('incoming/batch.jsonl', `${JSON.stringify(inquiry(5))}\n`);
    const run = (env: NodeJS.ProcessEnv) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'pipelines/src/cli.ts', 'ingest', '--s3', `s3://${bucket}/incoming/`],
          {
            env: {
              ...process.env,
              DATABASE_URL: database.url,
              AWS_ENDPOINT_URL_S3: testbed.s3.url,
              ...env,
            },
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const refused = await run({ AWS_ACCESS_KEY_ID: 'nobody', AWS_SECRET_ACCESS_KEY: 'wrong' });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`listing s3://${bucket}/incoming/ failed`);
    const done = await run({
      AWS_ACCESS_KEY_ID: testbed.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: testbed.s3.secretAccessKey,
    });
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ read: 1, stored: 1 });
  });
});
