CREATE OR REPLACE FUNCTION ledger.fail_payment(p_payment_id bigint, p_reason text)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_payment ledger.payments;
BEGIN
    PERFORM ledger_private.require_arguments('ledger.fail_payment', jsonb_build_object(
        'p_payment_id', p_payment_id IS NULL, 'p_reason', p_reason IS NULL));
    v_payment := ledger_private.lock_payment(p_payment_id);
    IF v_payment.status = 'FAILED' THEN
        RETURN p_payment_id;
    END IF;
    UPDATE ledger.payments AS p
       SET status = 'FAILED', failure_reason = ledger_private.require_text('ledger.fail_payment', 'p_reason', p_reason, 2000), failed_at = now()
     WHERE p.id = p_payment_id;
    RETURN p_payment_id;
END
$$;
COMMENT ON FUNCTION ledger.fail_payment(bigint, text) IS 'Marks an INITIATED or AUTHORIZED payment FAILED (again: no-op); a captured payment cannot fail (LG101: refund it). Works while the kill switch is off.';
REVOKE ALL ON FUNCTION ledger.fail_payment(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.fail_payment(bigint, text) TO ledger_app;
