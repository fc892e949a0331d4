CREATE OR REPLACE VIEW ledger_check.finding_history AS
SELECT f.check_name, f.subject, f.severity, f.amount, r.started_at AS recorded_at, r.id AS run_id,
       min(r.started_at) OVER (PARTITION BY f.check_name, f.subject) AS first_seen_at
  FROM ledger.check_findings AS f
  JOIN ledger.check_runs AS r ON r.id = f.run_id;
COMMENT ON VIEW ledger_check.finding_history IS 'Recorded findings over time, with the first time each (check, subject) was seen: for trends and "since when".';
COMMENT ON COLUMN ledger_check.finding_history.check_name IS 'The check.';
COMMENT ON COLUMN ledger_check.finding_history.subject IS 'What it is about.';
COMMENT ON COLUMN ledger_check.finding_history.severity IS 'Severity in that run.';
COMMENT ON COLUMN ledger_check.finding_history.amount IS 'Money at stake in that run.';
COMMENT ON COLUMN ledger_check.finding_history.recorded_at IS 'When the run started.';
COMMENT ON COLUMN ledger_check.finding_history.run_id IS 'The recorded run.';
COMMENT ON COLUMN ledger_check.finding_history.first_seen_at IS 'The first recorded run that had this (check, subject).';
GRANT SELECT ON ledger_check.finding_history TO ledger_oncall, ledger_auditor;
