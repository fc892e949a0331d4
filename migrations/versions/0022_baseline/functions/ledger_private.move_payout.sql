CREATE OR REPLACE FUNCTION ledger_private.move_payout(p_payout ledger.payouts, p_status text, p_reason text)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_transit  bigint := ledger_private.system_wallet('PAYOUTS_IN_TRANSIT', p_payout.currency);
    v_provider bigint := ledger_private.system_wallet('PAYOUT_PROVIDER', p_payout.currency);
    v_txn      bigint;
BEGIN
    -- The money of a payout sits in PAYOUTS_IN_TRANSIT until completion moves
    -- it to the provider; a failure gives it back from wherever it is, to
    -- whoever put it in (ledger_private.return_payout_funds): the
    -- beneficiary exactly what the payout took from it. Each move is one
    -- balanced transaction.
    IF p_status = 'COMPLETED' THEN
        v_txn := nextval('ledger.transactions_id_seq');
        PERFORM ledger_private.post(v_txn, 'PAYOUT_COMPLETION', NULL, p_payout.order_ref,
            ARRAY[v_transit, v_provider], ARRAY[-p_payout.provider_amount, p_payout.provider_amount], p_payout_id => p_payout.id);
        UPDATE ledger.payouts AS p SET status = 'COMPLETED', completion_transaction_id = v_txn, completed_at = now()
         WHERE p.id = p_payout.id;
    ELSIF p_status = 'FAILED' THEN
        v_txn := ledger_private.return_payout_funds(p_payout, p_payout.provider_amount, 'PAYOUT_RETURN');
        UPDATE ledger.payouts AS p SET status = 'FAILED', return_transaction_id = v_txn, failed_at = now(),
                                       failure_reason = left(p_reason, 2000)
         WHERE p.id = p_payout.id;
    ELSE
        UPDATE ledger.payouts AS p SET status = p_status WHERE p.id = p_payout.id;
        RETURN NULL;
    END IF;
    RETURN v_txn;
END
$$;
COMMENT ON FUNCTION ledger_private.move_payout(ledger.payouts, text, text) IS 'Moves a locked payout to a new status with its posting: COMPLETED moves provider_amount from PAYOUTS_IN_TRANSIT to PAYOUT_PROVIDER, FAILED gives back what the payout holds (from the provider when it had completed) through ledger_private.return_payout_funds: the beneficiary exactly what the payout debited, SUSPENSE its advance. Returns the transaction id. The lifecycle trigger refuses illegal moves.';
