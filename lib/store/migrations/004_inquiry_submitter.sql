-- Who submitted an inquiry, when the API requires tokens: the hash of the token's principal
-- (sha256 of the client, first 32 hex digits, as idempotency keys are scoped), never the subject
-- itself. Such an inquiry's content hash is scoped by the same hash (`<submitter>\n<sha256:…>`),
-- so each client's content is de-duplicated against its own only and a duplicate answer never
-- names another client's inquiry. NULL: stored with authentication off, by a pipeline step, or
-- before this migration; its content hash stays unscoped, the one space of those.
-- Adding a nullable column rewrites no row; the check scans the table once.
ALTER TABLE inquiries ADD COLUMN submitter text
  CONSTRAINT inquiries_submitter_scopes_hash CHECK (
    CASE WHEN submitter IS NULL THEN strpos(content_hash, E'\n') = 0
         ELSE submitter ~ '^[0-9a-f]{32}$' AND starts_with(content_hash, submitter || E'\n') END);

-- submit_begin as in 003, each inquiry of the batch with `p`: its submitter or null.
CREATE OR REPLACE FUNCTION submit_begin(batch jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  keys text[] := ARRAY(SELECT DISTINCT k FROM jsonb_array_elements_text(batch->'keys') k ORDER BY k);
  answers jsonb;
  stored jsonb;
  existing jsonb;
  loads jsonb;
BEGIN
  -- Keys in sorted order (no deadlock between two batches); the answers are read by a statement
  -- of their own, whose snapshot sees what the previous holder of a lock committed.
  PERFORM pg_advisory_xact_lock(41207, hashtext(k)) FROM unnest(keys) AS k;
  SELECT jsonb_object_agg(key, jsonb_build_object('request_hash', request_hash, 'status', status,
                                                 'response', response))
    INTO answers FROM idempotency_keys WHERE key = ANY(keys);
  answers := coalesce(answers, '{}');

  -- In hash order: two transactions insert shared content in the same order (no deadlock).
  WITH input AS (
    SELECT * FROM jsonb_to_recordset(batch->'inquiries')
      AS t(o int, k text, h text, p text, e text, s text, b text, m text, n text, c text, md jsonb,
           r timestamptz)
  ), candidates AS (
    SELECT DISTINCT ON (h) * FROM input WHERE k IS NULL OR NOT answers ? k ORDER BY h, o
  ), inserted AS (
    INSERT INTO inquiries (content_hash, submitter, external_id, subject, body, sender_email,
                           sender_name, channel, metadata, received_at, source, classified_at)
    SELECT h, p, e, s, b, m, n, c, md, r, 'api', now() FROM candidates ORDER BY h
    ON CONFLICT (content_hash) DO NOTHING
    RETURNING id, content_hash
  )
  SELECT coalesce(jsonb_object_agg(content_hash, id), '{}') INTO stored FROM inserted;

  -- A statement of its own: its snapshot also sees content another transaction committed while
  -- the insert waited on it.
  SELECT coalesce(jsonb_object_agg(i.content_hash, i.id), '{}') INTO existing
    FROM jsonb_to_recordset(batch->'inquiries') AS t(h text)
    JOIN inquiries i ON i.content_hash = t.h
   WHERE NOT stored ? t.h;

  -- Inquiries first, then the loads: waits on shared content come before the consultant locks,
  -- and a transaction holding those locks never waits on another's inquiries.
  -- Locked in consultant order, the order of every other writer of these rows; a row lock, not
  -- an update, so a batch writes new versions only of the loads it changes.
  INSERT INTO consultant_loads (consultant)
  SELECT c FROM jsonb_array_elements_text(batch->'consultants') AS c ORDER BY c
  ON CONFLICT (consultant) DO NOTHING;
  SELECT coalesce(jsonb_object_agg(consultant, open), '{}') INTO loads
    FROM (SELECT consultant, open FROM consultant_loads
           WHERE consultant IN (SELECT jsonb_array_elements_text(batch->'consultants'))
           ORDER BY consultant FOR UPDATE) locked;

  RETURN jsonb_build_object('answers', answers, 'stored', stored, 'existing', existing,
                            'loads', loads);
END $$;
