/**
 * Reconciles a RoutingPolicy into the ConfigMap the inference servers hot-reload (pipelines
 * that use it roll nothing). A policy the routing engine would refuse (a pool that does not
 * exist, …) leaves the last good ConfigMap in place and says why in status.
 */
import type { RoutingPolicyStatus } from '../../../crds/generated/routingpolicies.js';
import type { RoutingPreview } from '../../../lib/routing/preview.js';
import { ownerOf } from '../builders/common.js';
import { withDefaults } from '../builders/defaults.js';
import { buildPolicyPreviewWorkflow } from '../builders/workflows.js';
import { names } from '../names.js';
import type { InquiryPipeline, RoutingPolicy } from '../resources.js';
import { PolicyError, resolvePolicy } from '../../../lib/routing/policy.js';
import { policyFileSizeProblem } from '../../../lib/routing/policy-limits.js';
import { buildPolicyConfigMap } from '../builders/serving.js';
import type { Kube } from '../kube/kube.js';
import { canonicalJson, setCondition } from './status.js';
import { stringify } from 'yaml';

type Preview = NonNullable<RoutingPolicyStatus['preview']>;
type PipelinePreview = NonNullable<Preview['pipelines']>[number];

/** A preview Workflow as the informer holds it (Argo writes status in the main resource). */
export interface PreviewWorkflow {
  metadata?: { name?: string };
  status?: {
    phase?: string;
    message?: string;
    outputs?: { parameters?: { name: string; value?: string }[] };
  };
}

/** One pipeline's preview, from its Workflow (absent: not started yet). Pure. */
export function previewFromWorkflow(
  pipeline: string,
  workflowName: string,
  workflow: PreviewWorkflow | undefined,
): PipelinePreview {
  const base = { pipeline, workflow: workflowName };
  const phase = workflow?.status?.phase;
  if (phase === 'Succeeded') {
    const value = workflow?.status?.outputs?.parameters?.find((p) => p.name === 'preview')?.value;
    try {
      const report = JSON.parse(value ?? '') as RoutingPreview;
      return {
        ...base,
        phase: 'Succeeded',
        sampled: report.sampled,
        changed: report.changed,
        escalationsGained: report.escalationsGained,
        escalationsLost: report.escalationsLost,
        moves: report.moves.slice(0, MOVES_SHOWN),
      };
    } catch {
      return { ...base, phase: 'Failed', message: 'the preview Workflow returned no report' };
    }
  }
  if (phase === 'Failed' || phase === 'Error')
    return { ...base, phase: 'Failed', message: workflow?.status?.message ?? phase };
  return { ...base, phase: phase === 'Running' ? 'Running' : 'Pending' };
}

/** Preview Workflows of one policy that run (or wait in Argo) at once: the rest wait their turn. */
export const PREVIEWS_AT_ONCE = 16;
/** Reports in `status.preview` (the CRD's maxItems): a policy's status stays small for any fleet. */
export const REPORTS_SHOWN = 20;
/** Department moves kept per report, the largest (the CRD's maxItems). */
export const MOVES_SHOWN = 10;

/** Which reports to show first when not all fit: failures, then the largest changes. */
const SHOW_FIRST: Record<PipelinePreview['phase'], number> = {
  Failed: 0,
  Succeeded: 1,
  Running: 2,
  Pending: 3,
};

/**
 * `status.preview` of a generation from every user's report: counts over all of them and at
 * most `shown` reports (all of them when they fit), in pipeline-name order. Pure.
 */
export function boundPreview(
  generation: number,
  reports: readonly PipelinePreview[],
  shown = REPORTS_SHOWN,
): Preview {
  const count = (phase: PipelinePreview['phase']) =>
    reports.filter((report) => report.phase === phase).length;
  const sum = (field: 'sampled' | 'changed') =>
    reports.reduce((total, report) => total + (report[field] ?? 0), 0);
  const chosen = [...reports]
    .sort(
      (a, b) =>
        SHOW_FIRST[a.phase] - SHOW_FIRST[b.phase] ||
        (b.changed ?? 0) - (a.changed ?? 0) ||
        a.pipeline.localeCompare(b.pipeline),
    )
    .slice(0, shown)
    .sort((a, b) => a.pipeline.localeCompare(b.pipeline));
  return {
    generation,
    counts: {
      pipelines: reports.length,
      pending: count('Pending'),
      running: count('Running'),
      succeeded: count('Succeeded'),
      failed: count('Failed'),
      sampled: sum('sampled'),
      changed: sum('changed'),
    },
    pipelines: chosen,
  };
}

const finished = (phase: PipelinePreview['phase']) => phase === 'Succeeded' || phase === 'Failed';

/**
 * The previews of one generation: each user's report (from its Workflow, Pending when none yet)
 * and the users whose Workflow to create now, in name order, so that at most `atOnce` of this
 * generation are unfinished. A policy shared by a fleet thus starts its previews a few at a
 * time, the next as one finishes, instead of a Workflow per pipeline at once. Pure.
 */
export function planPreviews(
  policy: string,
  generation: number,
  users: readonly string[],
  previews: ReadonlyMap<string, PreviewWorkflow>,
  atOnce = PREVIEWS_AT_ONCE,
): { pipelines: PipelinePreview[]; start: string[] } {
  const pipelines = [...users].sort().map((user) => {
    const workflowName = names.policyPreview(policy, generation, user);
    return previewFromWorkflow(user, workflowName, previews.get(workflowName));
  });
  const unfinished = pipelines.filter(
    (p) => previews.has(p.workflow!) && !finished(p.phase),
  ).length;
  const start = pipelines
    .filter((p) => !previews.has(p.workflow!))
    .slice(0, Math.max(0, atOnce - unfinished))
    .map((p) => p.pipeline);
  return { pipelines, start };
}

/**
 * `users`: the pipelines that reference the policy; `previews`: the preview Workflows of this
 * policy (from the controller's informer), by name.
 */
export async function reconcileRoutingPolicy(
  kube: Kube,
  policy: RoutingPolicy,
  users: readonly InquiryPipeline[],
  now: Date,
  previews: ReadonlyMap<string, PreviewWorkflow> = new Map(),
): Promise<void> {
  const usedBy = users.map((p) => p.metadata.name!);
  const { namespace, name, generation } = policy.metadata as {
    namespace: string;
    name: string;
    generation?: number;
  };
  let valid = true;
  let message = 'rendered into the ConfigMap the inference servers reload';
  try {
    resolvePolicy(policy.spec);
    const size = policyFileSizeProblem(
      Buffer.byteLength(stringify(policy.spec)),
      'the ConfigMap it renders',
    );
    if (size !== undefined) throw new PolicyError(`routing policy refused: ${size}`);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    valid = false;
    message = `${error.message}; the previous ConfigMap stays in force`;
  }
  if (valid) {
    await kube.apply(buildPolicyConfigMap({ ...ownerOf(policy), spec: policy.spec }));
  }
  // A valid generation is previewed against each user's stored inquiries (one Workflow each,
  // a few at a time).
  let preview = policy.status?.preview;
  if (valid && generation !== undefined) {
    const { pipelines, start } = planPreviews(name, generation, usedBy, previews);
    const yaml = stringify(policy.spec);
    const byName = new Map(users.map((user) => [user.metadata.name!, user]));
    await Promise.all(
      start.map((user) =>
        kube.apply(
          buildPolicyPreviewWorkflow(
            { ...ownerOf(policy), generation, yaml },
            { name: user, spec: withDefaults(byName.get(user)!.spec) },
          ),
        ),
      ),
    );
    preview = boundPreview(generation, pipelines);
  }
  const observed = generation === undefined ? {} : { observedGeneration: generation };
  const conditions = setCondition(
    policy.status?.conditions,
    {
      type: 'Valid',
      status: valid ? 'True' : 'False',
      reason: valid ? 'Rendered' : 'Invalid',
      message,
      ...observed,
    },
    now,
  );
  const status = {
    ...observed,
    ruleCount: policy.spec.escalationRules?.length ?? 0,
    usedBy: [...usedBy].sort(),
    ...(preview ? { preview } : {}),
    conditions,
  };
  const current = { ...policy.status };
  if (canonicalJson(current) !== canonicalJson(status)) {
    await kube.patchStatus('routingpolicies', namespace, name, status);
    if (!valid) await kube.event(policy, 'Warning', 'InvalidPolicy', message);
  }
}
