CREATE OR REPLACE FUNCTION ledger.approve_refund(p_refund_id bigint, p_approved_by text)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_refund ledger.refunds;
BEGIN
    PERFORM ledger_private.require_arguments('ledger.approve_refund', jsonb_build_object(
        'p_refund_id', p_refund_id IS NULL, 'p_approved_by', p_approved_by IS NULL));
    IF length(btrim(p_approved_by)) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'approver must be named'
            USING ERRCODE = 'LG015', DETAIL = format('Refund %s was approved by %s.', p_refund_id, quote_literal(left(p_approved_by, 40))),
                  HINT = 'Pass the approving person or system.';
    END IF;
    v_refund := ledger_private.lock_refund(p_refund_id);
    IF v_refund.status = 'APPROVED' THEN
        RETURN p_refund_id;
    END IF;
    PERFORM ledger_private.require_enabled('refunds');
    UPDATE ledger.refunds AS r SET status = 'APPROVED', approved_by = btrim(p_approved_by), approved_at = now()
     WHERE r.id = p_refund_id;
    RETURN p_refund_id;
END
$$;
COMMENT ON FUNCTION ledger.approve_refund(bigint, text) IS 'PENDING -> APPROVED (again: no-op); any other state is LG102. Moves no money.';
REVOKE ALL ON FUNCTION ledger.approve_refund(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.approve_refund(bigint, text) TO ledger_app;
