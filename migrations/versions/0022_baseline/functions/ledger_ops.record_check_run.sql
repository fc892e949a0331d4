CREATE OR REPLACE FUNCTION ledger_ops.record_check_run(p_since interval DEFAULT '24 hours')
RETURNS ledger.check_runs
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_check, pg_temp
AS $$
BEGIN
    PERFORM ledger_private.summarize_time_indexes();  -- so the windows read the window
    RETURN ledger_private.record_check_run(p_since, NULL);
END
$$;
COMMENT ON FUNCTION ledger_ops.record_check_run(interval) IS 'Summarizes the BRIN ranges not yet summarized, runs the check catalog on the primary and stores the run and its findings in the append-only history (ledger.check_runs, ledger.check_findings); returns the run. Behind `ledgerguard check --record` and the 02:00 reconciliation job.';
REVOKE ALL ON FUNCTION ledger_ops.record_check_run(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_ops.record_check_run(interval) TO ledger_oncall;
