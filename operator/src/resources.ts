/**
 * The operator's three custom resources as typed objects (spec and status generated from
 * crds/*.yaml), and the standard condition they all report.
 */
import type {
  InquiryPipelineSpec,
  InquiryPipelineStatus,
} from '../../crds/generated/inquirypipelines.js';
import type { ModelVersionSpec, ModelVersionStatus } from '../../crds/generated/modelversions.js';
import type {
  RoutingPolicySpec,
  RoutingPolicyStatus,
} from '../../crds/generated/routingpolicies.js';
import type { KubeObject } from './kube/client.js';

export const API_GROUP = 'inquiries.mlops.io';
export const API_VERSION = `${API_GROUP}/v1alpha1`;

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export type InquiryPipeline = KubeObject & {
  spec: InquiryPipelineSpec;
  status?: InquiryPipelineStatus;
};

export type ModelVersion = KubeObject & { spec: ModelVersionSpec; status?: ModelVersionStatus };

export type RoutingPolicy = KubeObject & {
  spec: RoutingPolicySpec;
  status?: Omit<RoutingPolicyStatus, 'conditions'> & {
    conditions?: Condition[];
  };
};
