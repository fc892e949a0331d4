CREATE TABLE ledger.check_runs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    since          interval,
    findings       integer NOT NULL,
    worst_severity text CHECK (worst_severity IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
    recorded_by    text NOT NULL DEFAULT session_user,
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz NOT NULL,
    watermark      xid8
);
CREATE INDEX check_runs_started_at ON ledger.check_runs (started_at);
COMMENT ON TABLE ledger.check_runs IS 'Recorded runs of the check catalog (ledgerguard check --record, the 02:00 reconciliation job). Append-only.';
COMMENT ON COLUMN ledger.check_runs.id IS 'Run id.';
COMMENT ON COLUMN ledger.check_runs.since IS 'The window it checked (NULL = all history).';
COMMENT ON COLUMN ledger.check_runs.findings IS 'How many findings it recorded.';
COMMENT ON COLUMN ledger.check_runs.worst_severity IS 'Worst severity found, NULL when healthy.';
COMMENT ON COLUMN ledger.check_runs.recorded_by IS 'Session user that recorded it.';
COMMENT ON COLUMN ledger.check_runs.started_at IS 'When the run''s database transaction started (its now(), the reference of its windows).';
COMMENT ON COLUMN ledger.check_runs.watermark IS 'Incremental runs: pg_snapshot_xmin when the run began. Every ledger transaction not yet committed then has created_xid at or past it, so the next incremental run starts there.';
COMMENT ON COLUMN ledger.check_runs.finished_at IS 'When the run finished.';
GRANT SELECT ON ledger.check_runs TO ledger_oncall, ledger_auditor;
