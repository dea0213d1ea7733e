-- The statements of a submit transaction, as functions: the server sends `BEGIN` with the first
-- and `COMMIT` with the second in one simple query each, so a batch of submissions costs two round
-- trips whatever it holds (lib/store/submissions.ts). Their arguments are one jsonb document
-- each; the statements inside are planned once per session.

-- Predictions (one row per head) and routing decisions, many inquiries in one call: what
-- submit and classify-batch write. `rows` is {predictions: [{i, v, h, l, c, s}],
-- decisions: [{i, dep, ps, pb, esc, r, q, c, sla, u, us, ut, tr, v, pv}]}.
CREATE FUNCTION insert_classifications(rows jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO predictions (inquiry_id, model_version, head, label, confidence, scores)
  SELECT i, v, h, l, c, s
    FROM jsonb_to_recordset(rows->'predictions')
      AS t(i uuid, v text, h text, l text, c float8, s jsonb)
  ON CONFLICT (inquiry_id, model_version, head)
    DO UPDATE SET label = EXCLUDED.label, confidence = EXCLUDED.confidence, scores = EXCLUDED.scores;
  INSERT INTO routing_decisions (inquiry_id, department, priority_score, priority_band, escalated,
     rule, queue, consultant, sla_due_at, urgency, urgency_source, urgency_terms, triaged,
     model_version, policy_version)
  SELECT i, dep, ps, pb, esc, r, q, c, sla, u, us, ut, tr, v, pv
    FROM jsonb_to_recordset(rows->'decisions')
      AS t(i uuid, dep text, ps int, pb text, esc bool, r text, q text, c text, sla timestamptz,
           u text, us text, ut text[], tr bool, v text, pv text)
  ON CONFLICT (inquiry_id) DO NOTHING;
END $$;

-- The first half of a submit transaction. `batch` is {keys: [...], consultants: [...],
-- inquiries: [{o, k, h, e, s, b, m, n, c, md, r}]} (o: the place in the batch, k: the
-- idempotency key or null, h: the content hash). Locks the keys and reads the answers stored under them; stores the
-- inquiries (source `api`, classified now) whose key has no answer, the first of each content
-- hash, unless that content is already stored; finds the ids of the other hashes; locks and reads
-- the consultants' open loads. Returns {answers: {key: {request_hash, status, response}},
-- stored: {hash: id}, existing: {hash: id}, loads: {consultant: open}}.
CREATE FUNCTION submit_begin(batch jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
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
      AS t(o int, k text, h text, e text, s text, b text, m text, n text, c text, md jsonb,
           r timestamptz)
  ), candidates AS (
    SELECT DISTINCT ON (h) * FROM input WHERE k IS NULL OR NOT answers ? k ORDER BY h, o
  ), inserted AS (
    INSERT INTO inquiries (content_hash, external_id, subject, body, sender_email, sender_name,
                           channel, metadata, received_at, source, classified_at)
    SELECT h, e, s, b, m, n, c, md, r, 'api', now() FROM candidates ORDER BY h
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

-- The second half: the predictions and routing decisions of the stored inquiries, and the
-- answers to keep under idempotency keys. `batch` is {classifications: <as insert_classifications>,
-- answers: [{key, request_hash, status, response}]}, each response the answer's JSON text as a
-- jsonb string (a jsonb object would reorder its keys; a replay is the first answer byte for byte).
CREATE FUNCTION submit_finish(batch jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM insert_classifications(batch->'classifications');
  INSERT INTO idempotency_keys (key, request_hash, status, response)
  SELECT key, request_hash, status, response
    FROM jsonb_to_recordset(batch->'answers')
      AS t(key text, request_hash text, status int, response jsonb);
END $$;
