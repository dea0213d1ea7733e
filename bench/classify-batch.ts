/**
 * classify-batch throughput: N generated inquiries stored in a real PostgreSQL (the test bed's,
 * started and stopped here), classified and routed by one process with the default-sized
 * bundle trained on 50,000 generated inquiries. Prints one JSON line; `npm run bench:classify`.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ModelRuntime, inquiryText } from '../lib/model/runtime.js';
import { parsePolicyYaml } from '../lib/routing/policy.js';
import { insertInquiries } from '../lib/store/inquiries.js';
import { migrate } from '../lib/store/migrate.js';
import { createPool } from '../lib/store/pool.js';
import { validateInquiry, type InquiryInput } from '../lib/inquiry.js';
import { classifyBatch } from '../pipelines/src/classify/classify-batch.js';
import { generateInquiries } from '../pipelines/src/generate/inquiries.js';
import { DEFAULT_TRAIN_OPTIONS, trainModel, writeBundle } from '../pipelines/src/train/train.js';
import { stopRun, up } from '../scripts/testbed/testbed.js';

const n = Number(process.env.BENCH_N ?? 50_000);
const batchSize = Number(process.env.BENCH_BATCH ?? 1000);
const env = await up({ detach: false });
const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-classify-'));
try {
  const training = generateInquiries({ n: 50_000, seed: 1 }).map((g) => ({
    text: inquiryText(g),
    labels: { category: g.category, sentiment: g.sentiment, urgency: g.urgency },
  }));
  await writeBundle(dir, trainModel(training, DEFAULT_TRAIN_OPTIONS));
  const runtime = await ModelRuntime.load(dir);
  const pool = createPool(env.databaseUrl);
  await migrate(pool);
  const inquiries = generateInquiries({ n, seed: 7 }).map((g): InquiryInput => {
    const result = validateInquiry({
      subject: g.subject,
      body: g.body,
      sender_email: g.sender_email,
      received_at: g.received_at,
    });
    if (!result.ok) throw new Error('invalid generated inquiry');
    return result.value;
  });
  for (let i = 0; i < inquiries.length; i += 5000)
    await insertInquiries(pool, inquiries.slice(i, i + 5000), 'bench');
  const policy = parsePolicyYaml(
    readFileSync(new URL('../config/routing_rules.yaml', import.meta.url), 'utf8'),
  );
  const cpuBefore = process.cpuUsage();
  const stats = await classifyBatch(pool, runtime, policy, { batchSize });
  const cpu = process.cpuUsage(cpuBefore);
  console.log(
    JSON.stringify({
      bench: 'classify-batch',
      inquiries: stats.classified,
      batchSize,
      seconds: stats.seconds,
      inquiriesPerSecond: Math.round(stats.perSecond),
      nodeCpuSeconds: (cpu.user + cpu.system) / 1e6,
      inquiriesPerNodeCpuSecond: Math.round(stats.classified / ((cpu.user + cpu.system) / 1e6)),
      node: process.version,
      cores: os.cpus().length,
    }),
  );
  await pool.end();
  await runtime.release();
} finally {
  await rm(dir, { recursive: true, force: true });
  await stopRun(env.runDir);
}
