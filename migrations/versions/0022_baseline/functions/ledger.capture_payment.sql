CREATE OR REPLACE FUNCTION ledger.capture_payment(p_payment_id bigint, p_gateway_txn_id text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_payment  ledger.payments;
    v_txn      bigint;
    v_gateway  text;
BEGIN
    PERFORM ledger_private.require_arguments('ledger.capture_payment', jsonb_build_object('p_payment_id', p_payment_id IS NULL));
    v_payment := ledger_private.lock_payment(p_payment_id);
    IF v_payment.capture_transaction_id IS NOT NULL THEN
        RETURN v_payment.capture_transaction_id;  -- captured before: the same transaction, nothing written
    END IF;
    PERFORM ledger_private.require_enabled('payments');
    IF v_payment.status = 'FAILED' THEN
        RAISE EXCEPTION 'payment % FAILED; it cannot be captured', p_payment_id
            USING ERRCODE = 'LG101',
                  DETAIL = format('Payment %s of order %s failed at %s: %s.', p_payment_id, v_payment.order_ref,
                                  v_payment.failed_at, coalesce(v_payment.failure_reason, 'no reason recorded')),
                  HINT = 'Do not retry: investigate (SELECT * FROM ledger.retry_advice(''payment'', id)); a new attempt is a new payment.';
    END IF;
    v_gateway := ledger_private.record_gateway_txn(v_payment, p_gateway_txn_id);
    v_txn := ledger_private.post(
        nextval('ledger.transactions_id_seq'), 'PAYMENT_CAPTURE', NULL, v_payment.order_ref,
        ARRAY[v_payment.payer_wallet_id, v_payment.payee_wallet_id,
              ledger_private.system_wallet('PLATFORM_MAIN', v_payment.currency)],
        ARRAY[-v_payment.amount, v_payment.amount - v_payment.platform_fee, v_payment.platform_fee],
        p_payment_id);
    UPDATE ledger.payments AS p
       SET status = 'CAPTURED', capture_transaction_id = v_txn, captured_at = now(),
           gateway_txn_id = v_gateway
     WHERE p.id = p_payment_id;
    RETURN v_txn;
END
$$;
COMMENT ON FUNCTION ledger.capture_payment(bigint, text) IS 'Captures a payment once: one PAYMENT_CAPTURE transaction of payer debit, payee credit (amount - fee) and platform fee credit to PLATFORM_MAIN[:CUR]; returns its id. A second capture returns the same id and writes nothing. Errors: LG109 (gateway transaction of another payment) LG101 (FAILED, or a gateway transaction other than the one authorized) LG015 LG104 LG008 LG010 LG108.';
REVOKE ALL ON FUNCTION ledger.capture_payment(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.capture_payment(bigint, text) TO ledger_app;
