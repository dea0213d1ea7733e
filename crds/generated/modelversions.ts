// Generated from crds/modelversions.yaml (v1alpha1) by `npm run generate:types`. Do not edit.

/**
 * The model and how to roll it out.
 */
export interface ModelVersionSpec {
  /**
   * Name of the InquiryPipeline (same namespace) this model serves.
   */
  pipeline: string;
  /**
   * The model in the MLflow registry. Immutable.
   */
  model: {
    /**
     * Registered model name.
     */
    name: string;
    /**
     * Registered model version.
     */
    version?: string;
    /**
     * MLflow run that produced the model.
     */
    runId?: string;
  };
  /**
   * Where the bundle is (mlflow-artifacts:/… or runs:/…). Default the registry version's source.
   */
  artifactUri?: string;
  /**
   * Hold the rollout at its current step (analysis keeps running, nothing advances).
   */
  paused?: boolean;
  /**
   * How the model reaches production. Default: a Canary at 10 % then 50 %, 5 min each, promoted while online accuracy stays ≥ 0.8 over at least 50 labels.
   */
  rollout?: {
    /**
     * Canary: weighted steps with analysis; Immediate: becomes stable at once; Shadow: mirrored traffic, analysed, never answers.
     */
    strategy?: 'Canary' | 'Immediate' | 'Shadow';
    /**
     * Canary traffic steps, in order; weights strictly increasing, within 1–100.
     *
     * @maxItems 20
     */
    steps?: {
      /**
       * Percent of the traffic rollout.match does not catch that goes to the canary; 0 (A/B only) needs a match.
       */
      weight: number;
      /**
       * How long to hold this step before analysing (e.g. 30s, 5m, 1h).
       */
      pause?: string;
    }[];
    /**
     * A/B routing for a Canary: requests that match any entry go to the candidate at every step, whatever the step's weight; the weight splits the rest. A step of weight 0 sends the candidate only matched requests while the analysis runs. The match ends with the rollout (promoted or rolled back). Istio compares header values case-sensitively.
     *
     * @maxItems 10
     *
     * Items: One entry: all of its headers and its cookie must match.
     */
    match?: {
      /**
       * Request headers that must all match.
       *
       * @maxItems 8
       */
      headers?: {
        /**
         * The header's name in lowercase, e.g. x-canary.
         */
        name: string;
        /**
         * The value equals this.
         */
        exact?: string;
        /**
         * The value starts with this.
         */
        prefix?: string;
        /**
         * The whole value matches this RE2 regular expression (no lookaround, no backreference).
         */
        regex?: string;
      }[];
      /**
       * A cookie of the Cookie header with this exact value, e.g. canary=always.
       */
      cookie?: {
        /**
         * The cookie's name, e.g. canary.
         */
        name: string;
        /**
         * The cookie's value, e.g. always.
         */
        value: string;
      };
    }[];
    /**
     * After promotion, how long the canary Deployment keeps serving beside the stable Deployment while that one rolls over to this version; then it is removed. Default 2m.
     */
    scaleDownDelay?: string;
    /**
     * How long a step may stay inconclusive (too few samples, a metric that cannot be read) after its pause before the rollout is rolled back with reason ProgressDeadlineExceeded. Longer than analysis.interval; default 30m, or three analysis intervals when that is longer.
     */
    progressDeadline?: string;
    /**
     * What decides each step.
     */
    analysis?: {
      /**
       * Time between analysis runs.
       */
      interval?: string;
      /**
       * Failed analysis runs tolerated before rolling back.
       */
      failureLimit?: number;
      /**
       * Checks; each passes, fails, or is inconclusive (too few samples: wait).
       *
       * @maxItems 20
       */
      metrics?: {
        /**
         * Name reported in status and events.
         */
        name: string;
        /**
         * Where the value comes from.
         */
        provider: 'mlflow' | 'prometheus';
        /**
         * mlflow: metric key of the version's run, e.g. online.accuracy or test.category.macro_f1.
         */
        metric?: string;
        /**
         * prometheus: PromQL; {{subset}} is replaced by the canary or stable subset.
         */
        query?: string;
        /**
         * The value must be at least this.
         */
        min?: number;
        /**
         * The value must be at most this.
         */
        max?: number;
        /**
         * No worse than the stable version's value by more than this (higher is better).
         */
        maxDegradation?: number;
        /**
         * mlflow: metric key holding the sample count, e.g. online.samples.
         */
        sampleMetric?: string;
        /**
         * Fewer samples than this make the check inconclusive.
         */
        minSamples?: number;
      }[];
    };
  };
}

/**
 * Rollout progress, written by the operator; a restart resumes from here.
 */
export interface ModelVersionStatus {
  /**
   * The spec generation this status describes.
   */
  observedGeneration?: number;
  /**
   * The bundle's location, resolved from the registry when spec.artifactUri is not set.
   */
  artifactUri?: string;
  /**
   * The MLflow run of the model (its metrics feed the analysis).
   */
  runId?: string;
  /**
   * Where the rollout is: Pending (not started), Progressing (walking the steps), Paused (spec.paused), Promoted (serving as stable), RolledBack (an analysis failed or a human aborted), Failed (the rollout cannot run), Superseded (a newer version was promoted).
   */
  phase?:
    'Pending' | 'Progressing' | 'Paused' | 'Promoted' | 'RolledBack' | 'Failed' | 'Superseded';
  /**
   * Index of the canary step in progress.
   */
  currentStep?: number;
  /**
   * Percent of traffic the canary receives now.
   */
  canaryWeight?: number;
  /**
   * When the current step's weight went live (its pause counts from here).
   */
  stepStartedAt?: string;
  /**
   * When this version was promoted: the pipeline's stable version is its latest promoted one.
   */
  promotedAt?: string;
  /**
   * After promotion (rollout.scaleDownDelay) or a roll back (at once): when the canary Deployment is removed, once no route sends it traffic.
   */
  canaryRetiresAt?: string;
  /**
   * Failed analysis runs so far.
   */
  failedChecks?: number;
  /**
   * The latest value of each analysis metric.
   */
  lastAnalysis?: {
    /**
     * The metric's name in the spec.
     */
    name: string;
    /**
     * The candidate's value.
     */
    value?: number;
    /**
     * The stable version's value, for maxDegradation.
     */
    baseline?: number;
    /**
     * Samples behind the value (sampleMetric).
     */
    samples?: number;
    /**
     * Inconclusive means too few samples; the rollout waits.
     */
    verdict: 'Pass' | 'Fail' | 'Inconclusive';
    /**
     * The verdict in a sentence.
     */
    message?: string;
    /**
     * When it was measured.
     */
    checkedAt?: string;
  }[];
  /**
   * Ready (promoted, serving as stable), Progressing (rolling out) and Degraded (rolled back, failed, or a dependency failing).
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
