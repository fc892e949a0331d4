CREATE OR REPLACE FUNCTION ledger_ops.post_adjustment(p_wallet text, p_amount numeric, p_reason text, p_ticket text)
RETURNS ledger.audit_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_wallet  ledger.wallets;
    v_minor   smallint;
    v_amount  numeric;
    v_request ledger.adjustment_requests;
    v_txn     bigint;
    v_needed  boolean;
BEGIN
    PERFORM ledger_private.require_arguments('ledger_ops.post_adjustment', jsonb_build_object(
        'p_wallet', p_wallet IS NULL, 'p_amount', p_amount IS NULL, 'p_reason', p_reason IS NULL, 'p_ticket', p_ticket IS NULL));
    PERFORM ledger_private.require_ticket('post_adjustment', p_wallet, p_ticket, p_reason);
    SELECT * INTO v_wallet FROM ledger.wallets AS w WHERE w.id = ledger_private.wallet_id(p_wallet);
    IF v_wallet.kind = 'SUSPENSE' THEN
        RAISE EXCEPTION 'wallet "%" is the suspense wallet an adjustment balances against', p_wallet
            USING ERRCODE = 'LG015', DETAIL = 'An adjustment moves money between a wallet and SUSPENSE.',
                  HINT = 'Adjust the wallet the money belongs to.';
    END IF;
    SELECT c.minor_units INTO v_minor FROM ledger.currencies AS c WHERE c.code = v_wallet.currency;
    v_amount := ledger_private.check_amount(p_amount, v_wallet.currency, v_minor, format('adjustment of "%s"', p_wallet));

    -- Maker-checker: a call that needs a second person records the request;
    -- the same call (wallet, amount, ticket) by another on-call user executes
    -- it, whatever that user moved alone; the maker repeating it is LG304.
    v_needed := ledger_private.four_eyes_needed(ARRAY[v_wallet.id], ARRAY[v_amount]);
    SELECT * INTO v_request FROM ledger.adjustment_requests AS r
     WHERE r.wallet_id = v_wallet.id AND r.amount = v_amount AND r.ticket = btrim(p_ticket) AND r.status = 'PENDING'
       FOR UPDATE;
    IF v_request.id IS NULL AND NOT v_needed THEN
        v_txn := ledger_private.adjust(v_wallet, v_amount, p_ticket);
        RETURN ledger_private.audit('post_adjustment', p_wallet, p_ticket, p_reason, NULL,
            jsonb_build_object('status', 'EXECUTED', 'transaction_id', v_txn, 'amount', v_amount, 'currency', v_wallet.currency));
    ELSIF v_request.id IS NULL THEN
        INSERT INTO ledger.adjustment_requests (wallet_id, amount, ticket, reason)
        VALUES (v_wallet.id, v_amount, btrim(p_ticket), btrim(p_reason)) RETURNING * INTO v_request;
        RETURN ledger_private.audit('post_adjustment', p_wallet, p_ticket, p_reason, NULL,
            jsonb_build_object('status', 'PENDING_APPROVAL', 'request_id', v_request.id, 'amount', v_amount,
                               'currency', v_wallet.currency, 'maker', v_request.requested_by));
    ELSIF v_request.requested_by = session_user THEN
        RAISE EXCEPTION 'adjustment request % needs a second on-call user', v_request.id
            USING ERRCODE = 'LG304',
                  DETAIL = format('%s requested %s %s on %s at %s; the maker cannot approve it.', v_request.requested_by,
                                  v_amount, v_wallet.currency, quote_literal(p_wallet), v_request.requested_at),
                  HINT = format('Another on-call engineer repeats the same call (same wallet, amount and ticket %s).', btrim(p_ticket));
    END IF;
    v_txn := ledger_private.adjust(v_wallet, v_amount, p_ticket);
    UPDATE ledger.adjustment_requests AS r
       SET status = 'EXECUTED', approved_by = session_user, approved_at = now(), transaction_id = v_txn
     WHERE r.id = v_request.id;
    RETURN ledger_private.audit('post_adjustment', p_wallet, p_ticket, p_reason, NULL,
        jsonb_build_object('status', 'EXECUTED', 'request_id', v_request.id, 'transaction_id', v_txn, 'amount', v_amount,
                           'currency', v_wallet.currency, 'maker', v_request.requested_by, 'checker', session_user));
END
$$;
COMMENT ON FUNCTION ledger_ops.post_adjustment(text, numeric, text, text) IS 'Posts a correction to a wallet (credit > 0, debit < 0), always balanced against the SUSPENSE wallet of its currency. When ledger_private.four_eyes_needed says so (what one on-call user moved alone in the wallet within ops.adjustment_approval_window, this call included, reaches ops.adjustment_approval_threshold), it needs two on-call users: the first call records the request (PENDING_APPROVAL), the same call by another user executes it; the maker repeating it is LG304. Ticketed, audited; returns the audit row.';
REVOKE ALL ON FUNCTION ledger_ops.post_adjustment(text, numeric, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_ops.post_adjustment(text, numeric, text, text) TO ledger_oncall;
