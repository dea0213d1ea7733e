/**
 * Reconciles a RoutingPolicy into the ConfigMap the inference servers hot-reload (pipelines
 * that use it roll nothing). A policy the routing engine would refuse (a pool that does not
 * exist, …) leaves the last good ConfigMap in place and says why in status.
 */
import type { RoutingPolicySpec } from '../../../crds/types/routingpolicies.js';
import { PolicyError, resolvePolicy } from '../../../inference-server/src/routing/policy.js';
import { buildPolicyConfigMap } from '../builders/serving.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { setCondition } from './pipeline.js';

export type RoutingPolicy = KubeObject & {
  spec: RoutingPolicySpec;
  status?: {
    observedGeneration?: number;
    ruleCount?: number;
    usedBy?: string[];
    conditions?: Parameters<typeof setCondition>[0];
  };
};

export async function reconcileRoutingPolicy(
  kube: KubeClient,
  policy: RoutingPolicy,
  usedBy: string[],
  now: Date,
): Promise<void> {
  const { namespace, name, generation } = policy.metadata as {
    namespace: string;
    name: string;
    generation?: number;
  };
  let valid = true;
  let message = 'rendered into the ConfigMap the inference servers reload';
  try {
    resolvePolicy(policy.spec);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    valid = false;
    message = `${error.message}; the previous ConfigMap stays in force`;
  }
  if (valid) {
    await kube.apply(
      buildPolicyConfigMap({
        apiVersion: policy.apiVersion!,
        kind: policy.kind!,
        metadata: { name, namespace, uid: policy.metadata.uid! },
        spec: policy.spec,
      }),
    );
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
    conditions,
  };
  const current = { ...policy.status };
  if (JSON.stringify(current) !== JSON.stringify(status)) {
    await kube.patchStatus('routingpolicies', namespace, name, status);
    if (!valid) await kube.event(policy, 'Warning', 'InvalidPolicy', message);
  }
}
