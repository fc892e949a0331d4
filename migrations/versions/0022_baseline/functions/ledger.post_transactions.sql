CREATE OR REPLACE FUNCTION ledger.post_transactions(p_batch jsonb)
RETURNS bigint[]
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
BEGIN
    PERFORM ledger_private.require_arguments('ledger.post_transactions', jsonb_build_object('p_batch', p_batch IS NULL));
    -- The server built this jsonb before the call (about 20 times the JSON
    -- in memory): the bounds still hold here, and the text form is read
    -- one item at a time like any other batch.
    PERFORM ledger_private.require_batch_size(pg_column_size(p_batch)::bigint, NULL);
    RETURN ledger.post_transactions(p_batch::text);
END
$$;
COMMENT ON FUNCTION ledger.post_transactions(jsonb) IS 'The batch entry point for a caller holding jsonb: the same as ledger.post_transactions(text), to which it hands the batch. Send text instead: a jsonb argument is parsed by the server, at about 20 times its size, before any bound (LG019) can refuse it.';
REVOKE ALL ON FUNCTION ledger.post_transactions(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.post_transactions(jsonb) TO ledger_app;
