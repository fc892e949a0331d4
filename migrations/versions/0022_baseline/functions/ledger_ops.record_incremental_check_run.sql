CREATE OR REPLACE FUNCTION ledger_ops.record_incremental_check_run()
RETURNS ledger.check_runs
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_check, pg_temp
AS $$
DECLARE
    -- Taken first: a ledger transaction that has not committed yet has (or
    -- will get) an xid at or past it, so the watermark never passes one in flight.
    v_watermark xid8 := pg_snapshot_xmin(pg_current_snapshot());
    v_last      ledger.check_runs;
    v_since     interval;  -- NULL: all history
BEGIN
    PERFORM ledger_private.summarize_time_indexes();  -- so the search below and the windows read only what is new
    SELECT * INTO v_last FROM ledger.check_runs AS r WHERE r.watermark IS NOT NULL ORDER BY r.id DESC LIMIT 1;
    IF FOUND THEN
        -- What is new since the last run: every ledger transaction at or past
        -- its watermark (committed since, or in flight then), whose rows carry
        -- the writer's start as created_at, and everything written after the
        -- last run began. The window reaches back to the earliest of them.
        SELECT now() - least(min(t.created_at), v_last.started_at) INTO v_since
          FROM ledger.transactions AS t
         WHERE t.created_xid >= v_last.watermark::text::bigint;
    END IF;
    RETURN ledger_private.record_check_run(v_since, v_watermark);
END
$$;
COMMENT ON FUNCTION ledger_ops.record_incremental_check_run() IS 'Runs the check catalog over only what is new since the last incremental run and stores the run with its watermark; the first run checks all history. The window reaches back to the start of the oldest ledger transaction committed since the last watermark, so a transaction in flight during one run is checked by the next. Behind `ledgerguard check --incremental` (primary only).';
REVOKE ALL ON FUNCTION ledger_ops.record_incremental_check_run() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_ops.record_incremental_check_run() TO ledger_oncall;
