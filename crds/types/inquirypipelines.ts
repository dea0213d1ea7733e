// Generated from crds/inquirypipelines.yaml (v1alpha1) by `npm run generate:types`. Do not edit.

/**
 * The stream, its jobs and its serving.
 */
export interface InquiryPipelineSpec {
  /**
   * Secret (same namespace) holding the PostgreSQL URL.
   */
  databaseSecretRef: {
    /**
     * Secret name.
     */
    name: string;
    /**
     * Key of the URL in the Secret.
     */
    key?: string;
  };
  /**
   * The MLflow tracking server and the registered model.
   */
  mlflow: {
    /**
     * MLflow tracking server URL.
     */
    trackingUri: string;
    /**
     * Experiment name. Default inquiry-platform/<pipeline name>.
     */
    experiment?: string;
    /**
     * Registered model name. Default <pipeline name>-classifier.
     */
    modelName?: string;
    /**
     * Secret with MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD keys. Default none.
     */
    credentialsSecretRef?: {
      name: string;
    };
  };
  /**
   * Container image of the platform (inference server and pipeline steps). Default the operator's.
   */
  image?: string;
  /**
   * Scheduled ingestion into PostgreSQL.
   */
  ingestion?: {
    /**
     * Cron schedule (five fields). Default daily at 02:00.
     */
    schedule?: string;
    /**
     * Where records come from. Default none (ingestion disabled).
     */
    source?: {
      /**
       * Kind of source.
       */
      type: 'file' | 'http' | 'stagingTable';
      /**
       * Path (file), URL (http) or schema.table (stagingTable).
       */
      location: string;
      /**
       * Columns holding human labels
       */
      labels?: string[];
    };
  };
  /**
   * Scheduled batch classification of stored inquiries.
   */
  classification?: {
    /**
     * Cron schedule. Default hourly.
     */
    schedule?: string;
    /**
     * Parallel classify-batch workers.
     */
    shards?: number;
  };
  /**
   * Scheduled retraining, run when a trigger fires.
   */
  retraining?: {
    /**
     * Cron schedule. Default weekly, Sunday 03:00.
     */
    schedule?: string;
    /**
     * When a scheduled run retrains (should-retrain).
     */
    triggers?: {
      /**
       * New feedback labels since the last training.
       */
      minNewLabels?: number;
      /**
       * Population stability index of predictions or confidence.
       */
      driftThreshold?: number;
      /**
       * Online accuracy floor.
       */
      minOnlineAccuracy?: number;
    };
  };
  /**
   * The inference Deployment.
   */
  serving?: {
    /**
     * Replicas without autoscaling.
     */
    replicas?: number;
    /**
     * Host name the Istio VirtualService answers. Default none (mesh-internal only).
     */
    host?: string;
    /**
     * Container resources. Default requests 250m CPU / 256Mi, limit 1 CPU / 512Mi.
     */
    resources?: {
      [k: string]: unknown | undefined;
    };
    /**
     * HorizontalPodAutoscaler. Default off.
     */
    autoscaling?: {
      enabled?: boolean;
      minReplicas?: number;
      maxReplicas?: number;
      targetCPUUtilization?: number;
    };
  };
  /**
   * RoutingPolicy (same namespace) the inference server applies.
   */
  routingPolicyRef?: {
    name: string;
  };
}

/**
 * Observed state, written by the operator.
 */
export interface InquiryPipelineStatus {
  observedGeneration?: number;
  /**
   * ModelVersion serving production traffic.
   */
  stableModelVersion?: string;
  /**
   * The latest Workflow of each job.
   */
  lastRuns?: {
    ingestion?: {
      /**
       * Workflow name.
       */
      name?: string;
      /**
       * Workflow phase (Pending, Running, Succeeded, Failed, Error).
       */
      phase?: string;
      startedAt?: string;
      finishedAt?: string;
    };
    classification?: {
      /**
       * Workflow name.
       */
      name?: string;
      /**
       * Workflow phase (Pending, Running, Succeeded, Failed, Error).
       */
      phase?: string;
      startedAt?: string;
      finishedAt?: string;
    };
    retraining?: {
      /**
       * Workflow name.
       */
      name?: string;
      /**
       * Workflow phase (Pending, Running, Succeeded, Failed, Error).
       */
      phase?: string;
      startedAt?: string;
      finishedAt?: string;
    };
  };
  conditions?: {
    type: string;
    status: 'True' | 'False' | 'Unknown';
    reason?: string;
    message?: string;
    observedGeneration?: number;
    lastTransitionTime?: string;
  }[];
}
