CREATE OR REPLACE FUNCTION ledger_ops.recover_duplicate_payout(p_order_ref text, p_reason text, p_ticket text)
RETURNS ledger.audit_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_beneficiaries bigint;
    v_wallet_id   bigint;
    v_net_paid    numeric;
    v_due         numeric;
    v_payouts     bigint;
    v_wallet      ledger.wallets;
    v_recovered   numeric;
    v_outstanding numeric;
    v_available   numeric;
    v_recover     numeric;
    v_txn         bigint;
    v_suspended   boolean := false;
BEGIN
    PERFORM ledger_private.require_arguments('ledger_ops.recover_duplicate_payout', jsonb_build_object(
        'p_order_ref', p_order_ref IS NULL, 'p_reason', p_reason IS NULL, 'p_ticket', p_ticket IS NULL));
    PERFORM ledger_private.require_ticket('recover_duplicate_payout', p_order_ref, p_ticket, p_reason);
    -- The overpayment, from the ledger: what PAYOUT postings took from the
    -- beneficiary for this order, less what PAYOUT_RETURNs and downward
    -- PAYOUT_CORRECTIONs gave back, less the one payout that was due (the
    -- largest). The platform's own legs (in transit, provider, SUSPENSE's
    -- advances) are not the beneficiary's.
    SELECT count(DISTINCT e.wallet_id), min(e.wallet_id), sum(-e.amount),
           max(-e.amount) FILTER (WHERE t.kind = 'PAYOUT'), count(*) FILTER (WHERE t.kind = 'PAYOUT')
      INTO v_beneficiaries, v_wallet_id, v_net_paid, v_due, v_payouts
      FROM ledger.transactions AS t
      JOIN ledger.entries AS e ON e.transaction_id = t.id
      JOIN ledger.wallets AS w ON w.id = e.wallet_id
     WHERE t.reference = p_order_ref AND t.kind IN ('PAYOUT', 'PAYOUT_RETURN', 'PAYOUT_CORRECTION')
       AND w.code NOT LIKE 'PAYOUTS_IN_TRANSIT%' AND w.code NOT LIKE 'PAYOUT_PROVIDER%' AND w.code NOT LIKE 'SUSPENSE%';
    IF v_beneficiaries = 0 THEN
        RAISE EXCEPTION 'order % has no payout in the ledger', left(p_order_ref, 200)
            USING ERRCODE = 'LG305', DETAIL = format('No PAYOUT posting has reference %s.', quote_literal(left(p_order_ref, 200))),
                  HINT = 'Check the order ref; nothing to recover.';
    ELSIF v_beneficiaries > 1 THEN
        RAISE EXCEPTION 'order % was paid out to more than one beneficiary', p_order_ref
            USING ERRCODE = 'LG305', DETAIL = 'The recovery is computed per beneficiary; this order needs a manual review.',
                  HINT = 'Use ledger_check.payout_keys_per_order and ledger_ops.post_adjustment per wallet.';
    END IF;
    v_wallet := ledger_private.lock_wallet((SELECT w.code FROM ledger.wallets AS w WHERE w.id = v_wallet_id));
    SELECT coalesce(sum(-e.amount), 0) INTO v_recovered
      FROM ledger.transactions AS t JOIN ledger.entries AS e ON e.transaction_id = t.id
     WHERE t.kind = 'ADJUSTMENT' AND t.reference = 'recovery:' || p_order_ref AND e.wallet_id = v_wallet.id;
    v_outstanding := coalesce(v_net_paid - v_due, 0) - v_recovered;
    IF v_outstanding <= 0 THEN
        RAISE EXCEPTION 'order % has no overpayment left to recover', p_order_ref
            USING ERRCODE = 'LG305',
                  DETAIL = format('Paid %s in %s payout posting(s), %s due, %s recovered already.',
                                  v_net_paid, v_payouts, v_due, v_recovered),
                  HINT = 'Nothing to do; ledger_check.duplicate_payouts confirms.';
    END IF;

    -- Freeze further payouts to the beneficiary, as the runbook does first.
    UPDATE ledger.payout_accounts AS a
       SET status = 'SUSPENDED', suspended_reason = p_ticket || ': duplicate payout of ' || p_order_ref, updated_at = now()
     WHERE a.wallet_id = v_wallet.id AND a.status = 'ACTIVE';
    v_suspended := FOUND;
    -- Recover what the beneficiary still holds; the rest is outstanding.
    SELECT sum(b.balance) INTO v_available FROM ledger.wallet_buckets AS b WHERE b.wallet_id = v_wallet.id;
    v_recover := CASE WHEN v_wallet.allow_negative THEN v_outstanding ELSE least(v_outstanding, greatest(v_available, 0)) END;
    IF v_recover > 0 THEN
        v_txn := ledger_private.adjust(v_wallet, -v_recover, 'recovery:' || p_order_ref);
    END IF;
    RETURN ledger_private.audit('recover_duplicate_payout', p_order_ref, p_ticket, p_reason,
        jsonb_build_object('beneficiary', v_wallet.code, 'paid', v_net_paid, 'due', v_due, 'payout_postings', v_payouts,
                           'recovered_before', v_recovered, 'balance', v_available),
        jsonb_build_object('overpayment', v_outstanding + v_recovered, 'recovered_now', v_recover,
                           'outstanding', v_outstanding - v_recover, 'transaction_id', v_txn, 'payouts_suspended', v_suspended));
END
$$;
COMMENT ON FUNCTION ledger_ops.recover_duplicate_payout(text, text, text) IS 'The duplicate-payout runbook in one call: computes the overpayment of an order from the ledger, suspends payouts to the beneficiary, and posts the recovery adjustment (beneficiary debit against SUSPENSE) for what the wallet holds; the audit row says what is still outstanding to collect from the vendor. LG305 when nothing is left to recover.';
REVOKE ALL ON FUNCTION ledger_ops.recover_duplicate_payout(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_ops.recover_duplicate_payout(text, text, text) TO ledger_oncall;
