CREATE TABLE ledger.check_findings (
    run_id     bigint NOT NULL REFERENCES ledger.check_runs (id),
    check_name text NOT NULL,
    severity   text NOT NULL CHECK (severity IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
    subject    text NOT NULL,
    amount     numeric,
    detail     jsonb NOT NULL,
    hint       text NOT NULL
);
CREATE INDEX check_findings_run_id ON ledger.check_findings (run_id);
CREATE INDEX check_findings_subject ON ledger.check_findings (check_name, subject);
COMMENT ON TABLE ledger.check_findings IS 'The findings of each recorded run: trends (duplicates per run, provider delta over time) and when a finding first appeared. Append-only.';
COMMENT ON COLUMN ledger.check_findings.run_id IS 'The recorded run.';
COMMENT ON COLUMN ledger.check_findings.check_name IS 'The check.';
COMMENT ON COLUMN ledger.check_findings.severity IS 'Its severity then.';
COMMENT ON COLUMN ledger.check_findings.subject IS 'What it was about.';
COMMENT ON COLUMN ledger.check_findings.amount IS 'Money at stake then.';
COMMENT ON COLUMN ledger.check_findings.detail IS 'The evidence then.';
COMMENT ON COLUMN ledger.check_findings.hint IS 'The hint then.';
GRANT SELECT ON ledger.check_findings TO ledger_oncall, ledger_auditor;
