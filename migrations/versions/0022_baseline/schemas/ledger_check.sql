CREATE SCHEMA ledger_check;
COMMENT ON SCHEMA ledger_check IS 'Read-only check functions, one per runbook investigation; each returns no row when the ledger is healthy.';
GRANT USAGE ON SCHEMA ledger_check TO ledger_oncall, ledger_auditor;
