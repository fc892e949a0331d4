CREATE OR REPLACE FUNCTION ledger.fail_refund(p_refund_id bigint, p_reason text)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_refund ledger.refunds;
BEGIN
    PERFORM ledger_private.require_arguments('ledger.fail_refund', jsonb_build_object(
        'p_refund_id', p_refund_id IS NULL, 'p_reason', p_reason IS NULL));
    v_refund := ledger_private.lock_refund(p_refund_id);
    IF v_refund.status = 'FAILED' THEN
        RETURN p_refund_id;
    END IF;
    UPDATE ledger.refunds AS r SET status = 'FAILED', failure_reason = ledger_private.require_text('ledger.fail_refund', 'p_reason', p_reason, 2000), failed_at = now()
     WHERE r.id = p_refund_id;
    RETURN p_refund_id;
END
$$;
COMMENT ON FUNCTION ledger.fail_refund(bigint, text) IS 'Fails a refund that is not COMPLETED (again: no-op) and releases its reserved amount; COMPLETED is LG102. A failed refund is final: request a new one.';
REVOKE ALL ON FUNCTION ledger.fail_refund(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.fail_refund(bigint, text) TO ledger_app;
