CREATE OR REPLACE FUNCTION ledger_ops.record_check_run(p_since interval DEFAULT '24 hours')
RETURNS ledger.check_runs
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_check, pg_temp
AS $$
DECLARE
    v_started timestamptz := clock_timestamp();
    v_run     ledger.check_runs;
BEGIN
    WITH found AS MATERIALIZED (
        SELECT * FROM ledger_check.run_all(p_since)
    ), run AS (
        INSERT INTO ledger.check_runs (since, findings, worst_severity, started_at, finished_at)
        SELECT p_since, count(*),
               (ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'])[max(array_position(ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'], f.severity))],
               v_started, clock_timestamp()
          FROM found AS f
        RETURNING *
    ), stored AS (
        INSERT INTO ledger.check_findings (run_id, check_name, severity, subject, amount, detail, hint)
        SELECT run.id, f.check_name, f.severity, f.subject, f.amount, f.detail, f.hint FROM run, found AS f
    )
    SELECT * INTO v_run FROM run;
    RETURN v_run;
END
$$;
COMMENT ON FUNCTION ledger_ops.record_check_run(interval) IS 'Runs the check catalog on the primary and stores the run and its findings in the append-only history (ledger.check_runs, ledger.check_findings); returns the run. Behind `ledgerguard check --record` and the 02:00 reconciliation job.';
REVOKE ALL ON FUNCTION ledger_ops.record_check_run(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_ops.record_check_run(interval) TO ledger_oncall;
