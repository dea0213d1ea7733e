import { describe, expect, it } from '@jest/globals';
import { isFinished, jobOf, summarizeRuns, type WorkflowLike } from './job-runs.js';

const workflow = (
  name: string,
  job: string,
  phase: string | undefined,
  startedAt: string,
  finishedAt?: string,
): WorkflowLike => ({
  metadata: { name, labels: { 'inquiries.mlops.io/job': job } },
  status: { ...(phase ? { phase } : {}), startedAt, ...(finishedAt ? { finishedAt } : {}) },
});

describe('summarizeRuns', () => {
  it('keeps the latest run of each job and the latest success apart', () => {
    const { lastRuns, lastSuccess } = summarizeRuns([
      workflow('ingest-1', 'ingest', 'Succeeded', '2026-11-24T01:00:00Z', '2026-11-24T01:05:00Z'),
      workflow('ingest-2', 'ingest', 'Failed', '2026-11-25T01:00:00Z', '2026-11-25T01:01:00Z'),
      workflow('classify-1', 'classify', 'Running', '2026-11-25T02:00:00Z'),
    ]);
    expect(lastRuns).toEqual({
      classification: {
        name: 'classify-1',
        phase: 'Running',
        startedAt: '2026-11-25T02:00:00.000Z',
      },
      ingestion: {
        name: 'ingest-2',
        phase: 'Failed',
        startedAt: '2026-11-25T01:00:00.000Z',
        finishedAt: '2026-11-25T01:01:00.000Z',
      },
    });
    expect(lastSuccess).toEqual({ ingestion: new Date('2026-11-24T01:05:00Z') });
  });

  it('ignores Workflows that are not a pipeline job', () => {
    expect(
      summarizeRuns([workflow('other', 'backup', 'Succeeded', '2026-11-25T01:00:00Z')]).lastRuns,
    ).toEqual({});
  });
});

describe('jobOf and isFinished', () => {
  it('names jobs by what they do and knows the finished phases', () => {
    expect(jobOf(workflow('r', 'retrain', 'Error', '2026-11-25T01:00:00Z'))).toBe('retraining');
    expect(isFinished(workflow('r', 'retrain', 'Error', '2026-11-25T01:00:00Z'))).toBe(true);
    expect(isFinished(workflow('r', 'retrain', 'Running', '2026-11-25T01:00:00Z'))).toBe(false);
    expect(isFinished(workflow('r', 'retrain', undefined, '2026-11-25T01:00:00Z'))).toBe(false);
  });
});
