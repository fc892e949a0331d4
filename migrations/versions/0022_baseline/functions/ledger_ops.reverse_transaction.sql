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
    v_needed   boolean;
    v_request  ledger.reversal_requests;
    v_before   jsonb;
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
    -- Maker-checker, as for adjustments (ledger_private.four_eyes_needed):
    -- a reversal that needs a second person records the request; the same
    -- call with the same ticket by another on-call user executes it.
    v_needed := ledger_private.four_eyes_needed(v_wallets, v_amounts);
    SELECT * INTO v_request FROM ledger.reversal_requests AS r
     WHERE r.transaction_id = p_transaction_id AND r.status = 'PENDING' FOR UPDATE;
    v_before := jsonb_build_object('transaction_id', p_transaction_id, 'kind', v_original.kind, 'reference', v_original.reference);
    IF v_request.id IS NULL AND v_needed THEN
        INSERT INTO ledger.reversal_requests (transaction_id, ticket, reason)
        VALUES (p_transaction_id, btrim(p_ticket), btrim(p_reason)) RETURNING * INTO v_request;
        RETURN ledger_private.audit('reverse_transaction', p_transaction_id::text, p_ticket, p_reason, v_before,
            jsonb_build_object('status', 'PENDING_APPROVAL', 'request_id', v_request.id, 'wallet_ids', v_wallets,
                               'amounts', v_amounts, 'maker', v_request.requested_by));
    ELSIF v_request.id IS NOT NULL AND (v_request.requested_by = session_user OR v_request.ticket <> btrim(p_ticket)) THEN
        RAISE EXCEPTION 'reversal request % of transaction % needs a second on-call user', v_request.id, p_transaction_id
            USING ERRCODE = 'LG304',
                  DETAIL = format('%s requested it at %s under ticket %s; the maker cannot approve it.',
                                  v_request.requested_by, v_request.requested_at, v_request.ticket),
                  HINT = format('Another on-call engineer repeats the same call (transaction %s, ticket %s).',
                                p_transaction_id, v_request.ticket);
    END IF;
    v_reversal := ledger_private.post(nextval('ledger.transactions_id_seq'), 'REVERSAL', NULL, 'reversal of ' || p_transaction_id,
        v_wallets, v_amounts, p_reverses_transaction_id => p_transaction_id);
    IF v_request.id IS NULL THEN
        RETURN ledger_private.audit('reverse_transaction', p_transaction_id::text, p_ticket, p_reason, v_before,
            jsonb_build_object('status', 'EXECUTED', 'reversal_transaction_id', v_reversal, 'wallet_ids', v_wallets, 'amounts', v_amounts));
    END IF;
    UPDATE ledger.reversal_requests AS r
       SET status = 'EXECUTED', approved_by = session_user, approved_at = now(), reversal_transaction_id = v_reversal
     WHERE r.id = v_request.id;
    RETURN ledger_private.audit('reverse_transaction', p_transaction_id::text, p_ticket, p_reason, v_before,
        jsonb_build_object('status', 'EXECUTED', 'request_id', v_request.id, 'reversal_transaction_id', v_reversal,
                           'wallet_ids', v_wallets, 'amounts', v_amounts, 'maker', v_request.requested_by, 'checker', session_user));
END
$$;
COMMENT ON FUNCTION ledger_ops.reverse_transaction(bigint, text, text) IS 'Posts the mirror legs of a TRANSFER, ADJUSTMENT or PAYOUT_CORRECTION as a REVERSAL linked to it, at most once (LG303; unique reverses_transaction_id). When ledger_private.four_eyes_needed says so (in a wallet it moves, this reversal plus what its on-call user moved there alone within ops.adjustment_approval_window reaches ops.adjustment_approval_threshold), it needs two on-call users: the first call records the request (PENDING_APPROVAL), the same call with the same ticket by another user executes it; the maker repeating it is LG304. Payments, refunds and payouts follow their lifecycles instead. Ticketed, audited; returns the audit row.';
REVOKE ALL ON FUNCTION ledger_ops.reverse_transaction(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_ops.reverse_transaction(bigint, text, text) TO ledger_oncall;
