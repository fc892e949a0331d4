CREATE OR REPLACE FUNCTION ledger_private.lock_refund(p_refund_id bigint)
RETURNS ledger.refunds
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_refund ledger.refunds;
BEGIN
    BEGIN
        SELECT * INTO v_refund FROM ledger.refunds AS r WHERE r.id = p_refund_id FOR UPDATE NOWAIT;
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION 'refund % is being processed in another session', p_refund_id
            USING ERRCODE = 'LG106',
                  DETAIL = format('Another transaction holds refund %s right now.', p_refund_id),
                  HINT = 'Do not retry yet: wait a minute, then check ledger.retry_advice(''refund'', id).';
    END;
    IF v_refund.id IS NULL THEN
        RAISE EXCEPTION 'refund % does not exist', p_refund_id
            USING ERRCODE = 'LG105', DETAIL = format('No row in ledger.refunds has id %s.', p_refund_id),
                  HINT = 'Use the id ledger.request_refund returned.';
    END IF;
    RETURN v_refund;
END
$$;
COMMENT ON FUNCTION ledger_private.lock_refund(bigint) IS 'The refund row locked FOR UPDATE NOWAIT: LG106 when another session is working on it (never a queue of retries behind it), LG105 when it does not exist.';
