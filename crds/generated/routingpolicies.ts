// Generated from crds/routingpolicies.yaml (v1alpha1) by `npm run generate:types`. Do not edit.

/**
 * The routing rules.
 */
export interface RoutingPolicySpec {
  /**
   * Refused (the original routing_rules.yaml key); use `departments`.
   */
  category_to_department?: {
    [k: string]: unknown | undefined;
  };
  /**
   * Refused (the original routing_rules.yaml key); use `escalationRules`.
   */
  escalation_rules?: {
    [k: string]: unknown | undefined;
  }[];
  /**
   * Department for a category no entry of `departments` names.
   */
  defaultDepartment: string;
  /**
   * Category → department, with the consultant pool that serves it. At most 1,000 entries.
   *
   * @maxItems 1000
   */
  departments?: {
    /**
     * A category label of the model.
     */
    category: string;
    /**
     * The department that handles it.
     */
    department: string;
    /**
     * Pool (from `consultantPools`) whose consultants get these inquiries. Default none.
     */
    consultantPool?: string;
  }[];
  /**
   * Named groups of consultants; an inquiry goes to the one with the fewest open inquiries (round robin on ties). At most 100 pools and 5,000 consultants in all.
   *
   * @maxItems 100
   */
  consultantPools?: {
    /**
     * Pool name.
     */
    name: string;
    /**
     * Consultant identifiers (not emails); at most 1,000 per pool.
     *
     * @minItems 1
     * @maxItems 1000
     */
    consultants: [string, ...string[]];
  }[];
  /**
   * Evaluated in order; the first rule whose conditions all hold fires, and the decision names it. At most 500 rules and 2,000 keywords in all.
   *
   * @maxItems 500
   */
  escalationRules?: {
    /**
     * Rule name, reported in decisions and metrics.
     */
    name: string;
    /**
     * Conditions; all given ones must hold.
     */
    when: {
      /**
       * Any of these urgency levels.
       *
       * @maxItems 4
       */
      urgency?: ('critical' | 'high' | 'medium' | 'low')[];
      /**
       * Any of these sentiments.
       *
       * @maxItems 16
       */
      sentiment?: string[];
      /**
       * Any of these categories.
       *
       * @maxItems 1000
       */
      category?: string[];
      /**
       * The category confidence is below this.
       */
      confidenceBelow?: number;
      /**
       * Any of these words or phrases appears (case-insensitive, whole words); at most 200, of at most 100 characters.
       *
       * @maxItems 200
       */
      keywords?: string[];
      /**
       * The sender's email domain is one of these (or a subdomain).
       *
       * @maxItems 200
       */
      senderDomains?: string[];
    };
    /**
     * What the rule does.
     */
    then: {
      /**
       * Route to this department instead.
       */
      department?: string;
      /**
       * Added to the priority score. Default 0.
       */
      priorityBoost?: number;
      /**
       * Mark the inquiry escalated. Default false.
       */
      escalate?: boolean;
      /**
       * Assign from this pool instead.
       */
      consultantPool?: string;
    };
  }[];
  /**
   * How the 0–100 priority score is made.
   */
  priority?: {
    /**
     * Base score per urgency level. Default: critical 90, high 70, medium 45, low 20.
     */
    urgency?: {
      [k: string]: number | undefined;
    };
    /**
     * Added per sentiment. Default: negative 10, neutral 0, positive -5.
     */
    sentiment?: {
      [k: string]: number | undefined;
    };
    /**
     * Adds weight × (1 − category confidence), so doubtful inquiries surface sooner. Default 10.
     */
    uncertaintyWeight?: number;
  };
  /**
   * Priority bands, highest first: a score at or above `minScore` is in the band. Default: critical ≥ 85 (1 h), high ≥ 65 (4 h), medium ≥ 40 (24 h), low (72 h).
   *
   * @maxItems 20
   */
  sla?: {
    /**
     * Band name.
     */
    band: string;
    /**
     * Lowest score of the band.
     */
    minScore: number;
    /**
     * Time to first response; sets the SLA due time.
     */
    responseMinutes: number;
  }[];
  /**
   * Low-confidence inquiries go to a human triage queue instead of a department's.
   */
  triage?: {
    /**
     * Category confidence under which an inquiry is triaged. Default: the CONFIDENCE_THRESHOLD environment variable of the process that routes (inference server, classify-batch), else 0.7.
     */
    confidenceBelow?: number;
    /**
     * Triage queue name. Default: human-triage.
     */
    queue?: string;
  };
}

/**
 * Observed state, written by the operator.
 */
export interface RoutingPolicyStatus {
  /**
   * The spec generation this status describes.
   */
  observedGeneration?: number;
  /**
   * Escalation rules in the policy.
   */
  ruleCount?: number;
  /**
   * InquiryPipelines that reference this policy.
   */
  usedBy?: string[];
  /**
   * How this generation of the policy would route the last 1,000 stored inquiries of each pipeline using it, compared with how they were routed: computed by a preview Workflow (inquiry-pipeline preview-routing) per pipeline. Bounded whatever the number of pipelines: counts over all of them, and at most 20 reports.
   */
  preview?: {
    /**
     * The policy generation previewed.
     */
    generation?: number;
    /**
     * Previews of this generation by phase, over every pipeline using the policy, and the sums of the succeeded reports.
     */
    counts?: {
      /**
       * Pipelines using the policy.
       */
      pipelines?: number;
      /**
       * Previews not started yet.
       */
      pending?: number;
      /**
       * Previews running.
       */
      running?: number;
      /**
       * Previews with a report.
       */
      succeeded?: number;
      /**
       * Previews that failed.
       */
      failed?: number;
      /**
       * Inquiries routed again, summed over the reports.
       */
      sampled?: number;
      /**
       * Inquiries whose department changes, summed over the reports.
       */
      changed?: number;
    };
    /**
     * Reports of at most 20 pipelines, in name order: every pipeline when 20 or fewer use the policy; else the failed ones first, then the succeeded ones with the most changes, then running, then pending.
     *
     * @maxItems 20
     */
    pipelines?: {
      /**
       * The InquiryPipeline.
       */
      pipeline: string;
      /**
       * The preview Workflow.
       */
      workflow?: string;
      /**
       * Where the preview Workflow is. Pending: not started by Argo yet, or not created yet (at most 16 previews of a generation are unfinished at once; the others wait their turn).
       */
      phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
      /**
       * Inquiries routed again.
       */
      sampled?: number;
      /**
       * Inquiries whose department changes.
       */
      changed?: number;
      /**
       * Inquiries escalated now and not before.
       */
      escalationsGained?: number;
      /**
       * Inquiries escalated before and not now.
       */
      escalationsLost?: number;
      /**
       * Department moves, the 10 largest, largest first.
       *
       * @maxItems 10
       */
      moves?: {
        /**
         * Department before.
         */
        from: string;
        /**
         * Department under this policy.
         */
        to: string;
        /**
         * Inquiries that move.
         */
        count: number;
      }[];
      /**
       * Why a preview failed.
       */
      message?: string;
    }[];
  };
  /**
   * Valid (the policy compiles; an invalid one keeps the last good ConfigMap).
   */
  conditions?: {
    /**
     * Condition type
     */
    type: string;
    /**
     * True, False or Unknown.
     */
    status: 'True' | 'False' | 'Unknown';
    /**
     * Why
     */
    reason?: string;
    /**
     * Why
     */
    message?: string;
    /**
     * The spec generation the condition was computed from.
     */
    observedGeneration?: number;
    /**
     * When the status last changed.
     */
    lastTransitionTime?: string;
  }[];
}
