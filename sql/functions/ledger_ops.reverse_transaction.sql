CREATE OR REPLACE FUNCTION ledger_ops.reverse_transaction(p_transaction_id bigint, p_reason text, p_ticket text)
RETURNS ledger.audit_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_original ledger.transactions;
    v_reversal bigint;
    v_wallets  bigint[];
    v_amounts  numeric[];
BEGIN
    PERFORM ledger_private.require_arguments('ledger_ops.reverse_transaction', jsonb_build_object(
        'p_transaction_id', p_transaction_id IS NULL, 'p_reason', p_reason IS NULL, 'p_ticket', p_ticket IS NULL));
    PERFORM ledger_private.require_ticket('reverse_transaction', p_transaction_id::text, p_ticket, p_reason);
    SELECT * INTO v_original FROM ledger.transactions AS t WHERE t.id = p_transaction_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'transaction % does not exist', p_transaction_id
            USING ERRCODE = 'LG018', DETAIL = format('No row in ledger.transactions has id %s.', p_transaction_id),
                  HINT = 'Find it with SELECT * FROM ledger.transactions WHERE reference = …';
    END IF;
    SELECT t.id INTO v_reversal FROM ledger.transactions AS t WHERE t.reverses_transaction_id = p_transaction_id;
    IF v_reversal IS NOT NULL OR v_original.kind NOT IN ('TRANSFER', 'ADJUSTMENT', 'PAYOUT_CORRECTION') THEN
        RAISE EXCEPTION 'transaction % cannot be reversed%', p_transaction_id,
                        CASE WHEN v_reversal IS NOT NULL THEN ': it was reversed already' ELSE '' END
            USING ERRCODE = 'LG303',
                  DETAIL = CASE WHEN v_reversal IS NOT NULL THEN format('Transaction %s reversed it.', v_reversal)
                                ELSE format('It is a %s, whose money follows a lifecycle.', v_original.kind) END,
                  HINT = CASE WHEN v_reversal IS NOT NULL THEN 'A transaction is reversed at most once.'
                              WHEN v_original.kind IN ('PAYMENT_CAPTURE', 'REFUND') THEN 'Refund the payment instead (ledger.request_refund).'
                              WHEN v_original.kind LIKE 'PAYOUT%' THEN 'Fail the payout, or ledger_ops.recover_duplicate_payout.'
                              ELSE 'Post an adjustment instead.' END;
    END IF;
    SELECT array_agg(e.wallet_id ORDER BY e.id), array_agg(-e.amount ORDER BY e.id) INTO v_wallets, v_amounts
      FROM ledger.entries AS e WHERE e.transaction_id = p_transaction_id;
    v_reversal := ledger_private.post(nextval('ledger.transactions_id_seq'), 'REVERSAL', NULL, 'reversal of ' || p_transaction_id,
        v_wallets, v_amounts, p_reverses_transaction_id => p_transaction_id);
    RETURN ledger_private.audit('reverse_transaction', p_transaction_id::text, p_ticket, p_reason,
        jsonb_build_object('transaction_id', p_transaction_id, 'kind', v_original.kind, 'reference', v_original.reference),
        jsonb_build_object('reversal_transaction_id', v_reversal, 'wallet_ids', v_wallets, 'amounts', v_amounts));
END
$$;
COMMENT ON FUNCTION ledger_ops.reverse_transaction(bigint, text, text) IS 'Posts the mirror legs of a TRANSFER, ADJUSTMENT or PAYOUT_CORRECTION as a REVERSAL linked to it, at most once (LG303; unique reverses_transaction_id). Payments, refunds and payouts follow their lifecycles instead. Ticketed, audited; returns the audit row.';
REVOKE ALL ON FUNCTION ledger_ops.reverse_transaction(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_ops.reverse_transaction(bigint, text, text) TO ledger_oncall;
