/**
 * The pipeline's job runs, read from the Argo Workflows its CronWorkflows start (labelled with
 * the pipeline and the job): the latest run of each job for status, the latest success for the
 * "no successful ingestion" alert. Pure: the controller hands in the Workflows it watches.
 */
import type { InquiryPipelineStatus } from '../../../crds/generated/inquirypipelines.js';
import { LABELS } from '../names.js';

/** Builders name jobs by their step (`ingest`); status and metrics by what they do. */
export const JOB_NAMES = {
  ingest: 'ingestion',
  classify: 'classification',
  retrain: 'retraining',
} as const;
export type JobName = (typeof JOB_NAMES)[keyof typeof JOB_NAMES];

export interface WorkflowLike {
  metadata?: { name?: string; labels?: Record<string, string>; creationTimestamp?: Date | string };
  status?: { phase?: string; startedAt?: string | Date; finishedAt?: string | Date };
}

type LastRuns = NonNullable<InquiryPipelineStatus['lastRuns']>;
type Run = NonNullable<LastRuns['ingestion']>;

const FINISHED = new Set(['Succeeded', 'Failed', 'Error']);

export function jobOf(workflow: WorkflowLike): JobName | undefined {
  const step = workflow.metadata?.labels?.[LABELS.job];
  return step && step in JOB_NAMES ? JOB_NAMES[step as keyof typeof JOB_NAMES] : undefined;
}

export function isFinished(workflow: WorkflowLike): boolean {
  return FINISHED.has(workflow.status?.phase ?? '');
}

const iso = (value: string | Date | undefined): string | undefined =>
  value === undefined ? undefined : new Date(value).toISOString();

function started(workflow: WorkflowLike): number {
  const at = workflow.status?.startedAt ?? workflow.metadata?.creationTimestamp;
  return at === undefined ? 0 : new Date(at).getTime();
}

/** The latest run of each job, and when each job last succeeded. */
export function summarizeRuns(workflows: readonly WorkflowLike[]): {
  lastRuns: LastRuns;
  lastSuccess: Partial<Record<JobName, Date>>;
} {
  const latest = new Map<JobName, WorkflowLike>();
  const lastSuccess: Partial<Record<JobName, Date>> = {};
  for (const workflow of workflows) {
    const job = jobOf(workflow);
    if (!job) continue;
    const current = latest.get(job);
    if (!current || started(workflow) > started(current)) latest.set(job, workflow);
    const finishedAt = workflow.status?.finishedAt;
    if (workflow.status?.phase === 'Succeeded' && finishedAt !== undefined) {
      const at = new Date(finishedAt);
      if (!lastSuccess[job] || at > lastSuccess[job]) lastSuccess[job] = at;
    }
  }
  const lastRuns: LastRuns = {};
  for (const [job, workflow] of [...latest].sort(([a], [b]) => a.localeCompare(b))) {
    const run: Run = { name: workflow.metadata?.name ?? '' };
    if (workflow.status?.phase) run.phase = workflow.status.phase;
    const startedAt = iso(workflow.status?.startedAt);
    if (startedAt) run.startedAt = startedAt;
    const finishedAt = iso(workflow.status?.finishedAt);
    if (finishedAt) run.finishedAt = finishedAt;
    lastRuns[job] = run;
  }
  return { lastRuns, lastSuccess };
}
