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
       * Percent of traffic to the canary.
       */
      weight: number;
      /**
       * How long to hold this step before analysing (e.g. 30s, 5m, 1h).
       */
      pause?: string;
    }[];
    /**
     * After promotion, how long the canary Deployment keeps serving beside the stable Deployment while that one rolls over to this version; then it is removed. Default 2m.
     */
    scaleDownDelay?: string;
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
  observedGeneration?: number;
  /**
   * The bundle's location, resolved from the registry when spec.artifactUri is not set.
   */
  artifactUri?: string;
  /**
   * The MLflow run of the model (its metrics feed the analysis).
   */
  runId?: string;
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
  stepStartedAt?: string;
  /**
   * After promotion: when the canary Deployment is removed (rollout.scaleDownDelay).
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
    name: string;
    value?: number;
    baseline?: number;
    samples?: number;
    verdict: 'Pass' | 'Fail' | 'Inconclusive';
    message?: string;
    checkedAt?: string;
  }[];
  conditions?: {
    type: string;
    status: 'True' | 'False' | 'Unknown';
    reason?: string;
    message?: string;
    observedGeneration?: number;
    lastTransitionTime?: string;
  }[];
}
