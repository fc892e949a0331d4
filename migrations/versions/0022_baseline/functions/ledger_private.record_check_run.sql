CREATE OR REPLACE FUNCTION ledger_private.record_check_run(p_since interval, p_watermark xid8)
RETURNS ledger.check_runs
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_run ledger.check_runs;
BEGIN
    WITH found AS MATERIALIZED (
        SELECT * FROM ledger_check.run_all(p_since)
    ), run AS (
        INSERT INTO ledger.check_runs (since, findings, worst_severity, started_at, finished_at, watermark)
        SELECT p_since, count(*),
               (ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'])[max(array_position(ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'], f.severity))],
               now(), clock_timestamp(), p_watermark
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
COMMENT ON FUNCTION ledger_private.record_check_run(interval, xid8) IS 'Runs the check catalog over the window (NULL = all history) and stores the run, its findings and its watermark (NULL for a run that is not incremental) in the append-only history; returns the run. started_at is the run''s now(), the reference of its windows.';
REVOKE ALL ON FUNCTION ledger_private.record_check_run(interval, xid8) FROM PUBLIC;
