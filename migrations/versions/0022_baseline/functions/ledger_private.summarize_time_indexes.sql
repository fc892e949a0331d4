CREATE OR REPLACE FUNCTION ledger_private.summarize_time_indexes()
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET lock_timeout = '100ms'
AS $$
DECLARE
    v_index regclass;
BEGIN
    IF pg_is_in_recovery() THEN  -- a standby replays the primary's summaries
        RETURN;
    END IF;
    -- A BRIN index returns every block range it has not summarized yet, so
    -- until a vacuum comes by, a window over the last minute reads all rows
    -- inserted since the last one (10M entries, a 5-second window: 690 ms
    -- with the tail of a busy hour unsummarized, 14 ms once summarized).
    -- Each range is summarized once, here or by autovacuum (autosummarize),
    -- so a recorded run pays only for what is new. It waits for nobody: while
    -- a vacuum holds a table, this run reads that table's tail instead.
    FOR v_index IN SELECT i.indexrelid::regclass
                     FROM pg_index AS i
                     JOIN pg_class AS c ON c.oid = i.indexrelid
                     JOIN pg_am AS am ON am.oid = c.relam
                    WHERE am.amname = 'brin' AND c.relnamespace = 'ledger'::regnamespace
                    ORDER BY 1 LOOP
        BEGIN
            PERFORM brin_summarize_new_values(v_index);
        EXCEPTION WHEN lock_not_available THEN
            NULL;
        END;
    END LOOP;
END
$$;
COMMENT ON FUNCTION ledger_private.summarize_time_indexes() IS 'Summarizes the block ranges the ledger''s BRIN indexes have not summarized yet, waiting at most 100 ms per table (a vacuum holding it is left to finish), so recorded check runs read only their window. Primary only.';
REVOKE ALL ON FUNCTION ledger_private.summarize_time_indexes() FROM PUBLIC;
