CREATE OR REPLACE FUNCTION ledger.fail_payout(p_payout_id bigint, p_reason text)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_payout ledger.payouts;
BEGIN
    PERFORM ledger_private.require_arguments('ledger.fail_payout', jsonb_build_object(
        'p_payout_id', p_payout_id IS NULL, 'p_reason', p_reason IS NULL));
    v_payout := ledger_private.lock_payout(p_payout_id);
    IF v_payout.status = 'FAILED' THEN
        RETURN v_payout.return_transaction_id;
    ELSIF v_payout.status = 'COMPLETED' THEN
        RAISE EXCEPTION 'payout % is COMPLETED; it cannot fail here', p_payout_id
            USING ERRCODE = 'LG202',
                  DETAIL = format('Payout %s of order %s completed at %s with provider ref %s.', p_payout_id, v_payout.order_ref,
                                  v_payout.completed_at, v_payout.provider_ref),
                  HINT = 'Only the provider can return a completed payout (ledger.record_provider_event with state failed).';
    END IF;
    RETURN ledger_private.move_payout(v_payout, 'FAILED', ledger_private.require_text('ledger.fail_payout', 'p_reason', p_reason, 2000));
END
$$;
COMMENT ON FUNCTION ledger.fail_payout(bigint, text) IS 'A payout that did not go out: PENDING or SUBMITTED -> FAILED, returning the money to the beneficiary; returns the return transaction (again: the same id). The order may then be paid again. COMPLETED: LG202.';
REVOKE ALL ON FUNCTION ledger.fail_payout(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.fail_payout(bigint, text) TO ledger_app;
