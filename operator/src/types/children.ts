/**
 * The Argo Workflows and Istio objects the operator writes, typed by the specs generated from
 * the upstream CRDs (`generated/argo-workflows.ts`, `generated/istio.ts`): a field the real schema does not have is
 * a compile error, not a surprise at the API server.
 */
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { CronWorkflowSpec, WorkflowTemplateSpec } from './generated/argo-workflows.js';
import type { DestinationRuleSpec, VirtualServiceSpec } from './generated/istio.js';

interface Resource<ApiVersion extends string, Kind extends string, Spec> {
  apiVersion: ApiVersion;
  kind: Kind;
  metadata: V1ObjectMeta;
  spec: Spec;
}

/** The cluster-scoped WorkflowTemplate: the same spec upstream. */
export type ClusterWorkflowTemplate = Resource<
  'argoproj.io/v1alpha1',
  'ClusterWorkflowTemplate',
  WorkflowTemplateSpec
>;
/** A Workflow's spec is a WorkflowTemplate's (the same Go type upstream). */
export type Workflow = Resource<'argoproj.io/v1alpha1', 'Workflow', WorkflowTemplateSpec>;
export type CronWorkflow = Resource<'argoproj.io/v1alpha1', 'CronWorkflow', CronWorkflowSpec>;
export type ArgoTemplate = WorkflowTemplateSpec['templates'] extends (infer T)[] | undefined
  ? T
  : never;
export type VirtualService = Resource<
  'networking.istio.io/v1',
  'VirtualService',
  VirtualServiceSpec
>;
export type DestinationRule = Resource<
  'networking.istio.io/v1',
  'DestinationRule',
  DestinationRuleSpec
>;
