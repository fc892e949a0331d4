CREATE OR REPLACE FUNCTION ledger.process_refund(p_refund_id bigint)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_refund  ledger.refunds;
    v_payment ledger.payments;
    v_minor   smallint;
    v_share   numeric := 0;
    v_base    numeric;
    v_txn     bigint;
BEGIN
    PERFORM ledger_private.require_arguments('ledger.process_refund', jsonb_build_object('p_refund_id', p_refund_id IS NULL));
    v_refund := ledger_private.lock_refund(p_refund_id);
    IF v_refund.status = 'COMPLETED' THEN
        RETURN v_refund.transaction_id;  -- processed before: the same transaction, nothing written
    ELSIF v_refund.status = 'PROCESSING' THEN
        RAISE EXCEPTION 'refund % is PROCESSING since %', p_refund_id, v_refund.processing_started_at
            USING ERRCODE = 'LG106',
                  DETAIL = format('Refund %s of payment %s started processing at %s and has not completed.',
                                  p_refund_id, v_refund.payment_id, v_refund.processing_started_at),
                  HINT = 'Do not process it again: wait a minute, then investigate (ledger.retry_advice).';
    END IF;
    PERFORM ledger_private.require_enabled('refunds');
    -- PENDING and FAILED are refused by the lifecycle trigger with their hints.
    UPDATE ledger.refunds AS r SET status = 'PROCESSING', processing_started_at = now() WHERE r.id = p_refund_id;

    v_payment := ledger_private.lock_payment(v_refund.payment_id);
    SELECT c.minor_units INTO v_minor FROM ledger.currencies AS c WHERE c.code = v_payment.currency;
    IF v_refund.refund_platform_fee THEN
        -- The platform returns its fee in proportion to what is refunded with
        -- the fee. Rounding is cumulative (half away from zero, to the
        -- currency): shares telescope, so refunding the whole amount this way
        -- returns exactly the whole fee.
        SELECT coalesce(sum(r.amount), 0) INTO v_base FROM ledger.refunds AS r
         WHERE r.payment_id = v_payment.id AND r.status = 'COMPLETED' AND r.refund_platform_fee;
        v_share := round(v_payment.platform_fee * (v_base + v_refund.amount) / v_payment.amount, v_minor)
                 - round(v_payment.platform_fee * v_base / v_payment.amount, v_minor);
    END IF;
    v_txn := ledger_private.post(
        nextval('ledger.transactions_id_seq'), 'REFUND', NULL, v_payment.order_ref,
        ARRAY[v_payment.payer_wallet_id, v_payment.payee_wallet_id,
              ledger_private.system_wallet('PLATFORM_MAIN', v_payment.currency)],
        ARRAY[v_refund.amount, -(v_refund.amount - v_share), -v_share],
        v_payment.id, p_refund_id);
    UPDATE ledger.refunds AS r
       SET status = 'COMPLETED', transaction_id = v_txn, platform_fee_refunded = v_share, completed_at = now()
     WHERE r.id = p_refund_id;
    RETURN v_txn;
END
$$;
COMMENT ON FUNCTION ledger.process_refund(bigint) IS 'Processes an APPROVED refund once: one REFUND transaction (payer credit, payee debit, and the platform fee share when refund_platform_fee), the payment becomes PARTIALLY_REFUNDED or REFUNDED; returns the transaction id. COMPLETED: the same id, nothing written. PROCESSING or held by another session: LG106. PENDING / FAILED: LG102.';
REVOKE ALL ON FUNCTION ledger.process_refund(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.process_refund(bigint) TO ledger_app;
