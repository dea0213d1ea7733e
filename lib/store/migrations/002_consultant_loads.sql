-- Inquiries that get finished, and consultants' open load kept as a counter the submit path
-- locks and reads (no count over routing_decisions per request).

ALTER TABLE routing_decisions
  ADD COLUMN status      text NOT NULL DEFAULT 'open',
  ADD COLUMN resolved_by text,
  ADD COLUMN status_changed_at timestamptz;
UPDATE routing_decisions SET status = 'resolved' WHERE resolved_at IS NOT NULL;
ALTER TABLE routing_decisions
  ADD CONSTRAINT routing_decisions_status CHECK (status IN ('open', 'in_progress', 'resolved')),
  ADD CONSTRAINT routing_decisions_resolved CHECK ((status = 'resolved') = (resolved_at IS NOT NULL));
CREATE INDEX routing_resolved_at ON routing_decisions (resolved_at) WHERE resolved_at IS NOT NULL;

-- Unresolved (open or in progress) routed inquiries per consultant. Kept by the triggers below,
-- so every writer of routing_decisions (submit, classify-batch, resolve) keeps it right.
CREATE TABLE consultant_loads (
  consultant text PRIMARY KEY,
  open       integer NOT NULL DEFAULT 0 CHECK (open >= 0)
);
INSERT INTO consultant_loads (consultant, open)
  SELECT consultant, count(*) FROM routing_decisions
   WHERE consultant IS NOT NULL AND resolved_at IS NULL GROUP BY consultant;

-- One statement's net change per consultant; new loads are written in consultant order (the
-- lock order of lockConsultantLoads, so the two never deadlock).
CREATE FUNCTION consultant_loads_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO consultant_loads AS l (consultant, open)
      SELECT consultant, count(*) FROM new_rows
       WHERE consultant IS NOT NULL AND resolved_at IS NULL GROUP BY consultant ORDER BY consultant
      ON CONFLICT (consultant) DO UPDATE SET open = l.open + EXCLUDED.open;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE consultant_loads l SET open = l.open - d.n
      FROM (SELECT consultant, count(*) AS n FROM old_rows
             WHERE consultant IS NOT NULL AND resolved_at IS NULL GROUP BY consultant) d
     WHERE l.consultant = d.consultant;
  ELSE
    -- An update can lower a load: applied to the existing rows (every consultant with a
    -- decision has one), since an INSERT … ON CONFLICT checks `open >= 0` on the proposed row.
    UPDATE consultant_loads l SET open = l.open + d.n
      FROM (SELECT consultant, sum(n) AS n FROM (
                SELECT consultant, 1 AS n FROM new_rows WHERE consultant IS NOT NULL AND resolved_at IS NULL
                UNION ALL
                SELECT consultant, -1 FROM old_rows WHERE consultant IS NOT NULL AND resolved_at IS NULL
              ) changes
             GROUP BY consultant HAVING sum(n) <> 0) d
     WHERE l.consultant = d.consultant;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER consultant_loads_insert AFTER INSERT ON routing_decisions
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION consultant_loads_apply();
CREATE TRIGGER consultant_loads_update AFTER UPDATE ON routing_decisions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION consultant_loads_apply();
CREATE TRIGGER consultant_loads_delete AFTER DELETE ON routing_decisions
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION consultant_loads_apply();
