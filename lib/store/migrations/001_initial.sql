-- Inquiries, what the models said about them, how they were routed, what humans corrected,
-- and the bookkeeping of the API (idempotency) and of the pipeline steps (runs, quarantine).

CREATE TABLE inquiries (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- sha256 of the normalized sender, subject and body: the same inquiry is stored once.
  content_hash  text NOT NULL UNIQUE,
  external_id   text,
  subject       text NOT NULL DEFAULT '',
  body          text NOT NULL,
  sender_email  text NOT NULL,
  sender_name   text,
  channel       text NOT NULL DEFAULT 'api',
  metadata      jsonb NOT NULL DEFAULT '{}'::jsonb,
  source        text NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT now(),
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- NULL until classified; classify-batch claims rows where it is NULL.
  classified_at timestamptz
);
CREATE INDEX inquiries_unclassified ON inquiries (created_at, id) WHERE classified_at IS NULL;
CREATE INDEX inquiries_received_at ON inquiries (received_at);

CREATE TABLE predictions (
  inquiry_id    uuid NOT NULL REFERENCES inquiries (id) ON DELETE CASCADE,
  model_version text NOT NULL,
  head          text NOT NULL,
  label         text NOT NULL,
  confidence    double precision NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  scores        jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (inquiry_id, model_version, head)
);
CREATE INDEX predictions_model_version ON predictions (model_version, created_at);

CREATE TABLE routing_decisions (
  inquiry_id     uuid PRIMARY KEY REFERENCES inquiries (id) ON DELETE CASCADE,
  department     text NOT NULL,
  priority_score integer NOT NULL CHECK (priority_score BETWEEN 0 AND 100),
  priority_band  text NOT NULL,
  escalated      boolean NOT NULL,
  rule           text,
  queue          text,
  consultant     text,
  sla_due_at     timestamptz,
  -- The urgency routing used: the model's, raised by explicit words in the text when they say more.
  urgency        text NOT NULL,
  urgency_source text NOT NULL,
  urgency_terms  text[] NOT NULL DEFAULT '{}',
  triaged        boolean NOT NULL DEFAULT false,
  model_version  text NOT NULL,
  policy_version text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  -- Set when the inquiry is answered; open decisions are a consultant's load.
  resolved_at    timestamptz
);
CREATE INDEX routing_open_by_consultant ON routing_decisions (consultant) WHERE resolved_at IS NULL;

-- One row per corrected head (category, sentiment, urgency, department, or a team's own heads).
CREATE TABLE feedback (
  id         bigserial PRIMARY KEY,
  inquiry_id uuid NOT NULL REFERENCES inquiries (id) ON DELETE CASCADE,
  head       text NOT NULL,
  label      text NOT NULL,
  reviewer   text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feedback_inquiry ON feedback (inquiry_id, head, created_at DESC);
CREATE INDEX feedback_created_at ON feedback (created_at);

CREATE TABLE idempotency_keys (
  key          text PRIMARY KEY,
  request_hash text NOT NULL,
  status       integer NOT NULL,
  response     jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pipeline_runs (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  step        text NOT NULL,
  source      text,
  status      text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  stats       jsonb NOT NULL DEFAULT '{}'::jsonb,
  error       text
);
CREATE INDEX pipeline_runs_step ON pipeline_runs (step, started_at DESC);

CREATE TABLE quarantine (
  id         bigserial PRIMARY KEY,
  run_id     uuid REFERENCES pipeline_runs (id) ON DELETE SET NULL,
  source     text NOT NULL,
  position   text,
  reason     text NOT NULL,
  record     jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
