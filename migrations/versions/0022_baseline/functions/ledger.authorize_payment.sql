CREATE OR REPLACE FUNCTION ledger.authorize_payment(p_payment_id bigint, p_gateway_txn_id text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_payment ledger.payments;
BEGIN
    PERFORM ledger_private.require_arguments('ledger.authorize_payment', jsonb_build_object('p_payment_id', p_payment_id IS NULL));
    v_payment := ledger_private.lock_payment(p_payment_id);
    IF v_payment.status = 'AUTHORIZED' THEN
        RETURN p_payment_id;
    END IF;
    PERFORM ledger_private.require_enabled('payments');
    UPDATE ledger.payments AS p
       SET status = 'AUTHORIZED', gateway_txn_id = ledger_private.record_gateway_txn(v_payment, p_gateway_txn_id)
     WHERE p.id = p_payment_id;
    RETURN p_payment_id;
END
$$;
COMMENT ON FUNCTION ledger.authorize_payment(bigint, text) IS 'Records the gateway authorisation: INITIATED -> AUTHORIZED (again: no-op). Any other state is LG101; a gateway transaction of another payment LG109. Moves no money.';
REVOKE ALL ON FUNCTION ledger.authorize_payment(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.authorize_payment(bigint, text) TO ledger_app;
