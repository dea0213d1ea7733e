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
      /**
       * Secret name.
       */
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
      type: 'file' | 'http' | 'stagingTable' | 's3';
      /**
       * Path (file; relative to `volume` when it names one), URL (http), schema.table (stagingTable) or s3://bucket/prefix (s3: the .jsonl/.csv objects under the prefix that are new since the last successful run).
       */
      location: string;
      /**
       * For a file source: the volume holding the files, mounted read-only into the ingest pod at /ingest/source (the pod has nothing else but an empty scratch volume). Exactly one of persistentVolumeClaim and configMap.
       */
      volume?: {
        /**
         * A PersistentVolumeClaim in the pipeline's namespace.
         */
        persistentVolumeClaim?: {
          /**
           * Claim name.
           */
          claimName: string;
        };
        /**
         * A ConfigMap in the pipeline's namespace; each key is a file.
         */
        configMap?: {
          /**
           * ConfigMap name.
           */
          name: string;
        };
      };
      /**
       * For an s3 source, how to reach the bucket.
       */
      s3?: {
        /**
         * Bucket region. Default: us-east-1.
         */
        region?: string;
        /**
         * An S3-compatible server's URL (addressed path-style). Default AWS S3.
         */
        endpoint?: string;
        /**
         * Secret with the keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Default none (the pod's own identity, e.g. IRSA).
         */
        credentialsSecretRef?: {
          /**
           * Secret name.
           */
          name: string;
        };
      };
      /**
       * Columns holding human labels, stored as feedback.
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
    /**
     * Off-topic text a retrained model's category head learns to answer with low confidence, so that it is triaged (outlier exposure). builtin: the off-topic questions the default model trains with, for the platform's own categories. none: the database's labels alone; choose it when your categories are your own and such questions (travel, weather, small talk, ...) might belong to them.
     */
    outOfScopeExamples?: 'builtin' | 'none';
    /**
     * How a model this pipeline's retraining registers reaches production: the spec.rollout of the ModelVersion the register step creates (same fields, checked by the ModelVersion schema when it is created). Default: that of the ModelVersion CRD.
     */
    rollout?: {
      [k: string]: unknown | undefined;
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
      /**
       * Create the HorizontalPodAutoscaler. Default false.
       */
      enabled?: boolean;
      /**
       * Fewest inference pods. Default 2.
       */
      minReplicas?: number;
      /**
       * Most inference pods. Default 10.
       */
      maxReplicas?: number;
      /**
       * Average CPU use (percent of requests) the autoscaler aims at. Default 70.
       */
      targetCPUUtilization?: number;
    };
  };
  /**
   * RoutingPolicy (same namespace) the inference server applies.
   */
  routingPolicyRef?: {
    /**
     * RoutingPolicy name.
     */
    name: string;
  };
}

/**
 * Observed state, written by the operator.
 */
export interface InquiryPipelineStatus {
  /**
   * The spec generation this status describes.
   */
  observedGeneration?: number;
  /**
   * ModelVersion serving production traffic.
   */
  stableModelVersion?: string;
  /**
   * The latest Workflow of each job.
   */
  lastRuns?: {
    /**
     * The latest Workflow of the job.
     */
    ingestion?: {
      /**
       * Workflow name.
       */
      name?: string;
      /**
       * Workflow phase (Pending, Running, Succeeded, Failed, Error).
       */
      phase?: string;
      /**
       * When the Workflow started.
       */
      startedAt?: string;
      /**
       * When it finished; absent while it runs.
       */
      finishedAt?: string;
    };
    /**
     * The latest Workflow of the job.
     */
    classification?: {
      /**
       * Workflow name.
       */
      name?: string;
      /**
       * Workflow phase (Pending, Running, Succeeded, Failed, Error).
       */
      phase?: string;
      /**
       * When the Workflow started.
       */
      startedAt?: string;
      /**
       * When it finished; absent while it runs.
       */
      finishedAt?: string;
    };
    /**
     * The latest Workflow of the job.
     */
    retraining?: {
      /**
       * Workflow name.
       */
      name?: string;
      /**
       * Workflow phase (Pending, Running, Succeeded, Failed, Error).
       */
      phase?: string;
      /**
       * When the Workflow started.
       */
      startedAt?: string;
      /**
       * When it finished; absent while it runs.
       */
      finishedAt?: string;
    };
  };
  /**
   * Ready (serving a stable model with every child applied), Progressing (a ModelVersion is rolling out) and Degraded (a child was refused).
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
