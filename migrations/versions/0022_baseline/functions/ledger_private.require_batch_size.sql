CREATE OR REPLACE FUNCTION ledger_private.require_batch_size(p_bytes bigint, p_items bigint)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_max_bytes bigint := ledger_private.setting('batches.max_bytes')::bigint;
    v_max_items bigint := ledger_private.setting('batches.max_items')::bigint;
BEGIN
    IF p_bytes > v_max_bytes THEN
        RAISE EXCEPTION 'a batch of % bytes is larger than batches.max_bytes (% bytes)', p_bytes, v_max_bytes
            USING ERRCODE = 'LG019',
                  DETAIL = 'Nothing of the batch was parsed or posted: one call holds about 20 times its JSON in memory while it is read.',
                  HINT = 'Split the batch: a loader commits each batch of about 1,000 transfers.';
    END IF;
    IF p_items NOT BETWEEN 1 AND v_max_items THEN
        RAISE EXCEPTION 'a batch of % transfers is outside 1 to batches.max_items (%)', p_items, v_max_items
            USING ERRCODE = CASE WHEN p_items < 1 THEN 'LG014' ELSE 'LG019' END,
                  DETAIL = 'Nothing of the batch was posted.',
                  HINT = CASE WHEN p_items < 1 THEN 'Send at least one transfer.'
                              ELSE 'Split the batch: a loader commits each batch of about 1,000 transfers.' END;
    END IF;
END
$$;
COMMENT ON FUNCTION ledger_private.require_batch_size(bigint, bigint) IS 'LG019 when a batch has more bytes than batches.max_bytes or more items than batches.max_items (LG014 when it has none; items NULL checks the bytes alone): what one call of ledger.post_transactions may send.';
