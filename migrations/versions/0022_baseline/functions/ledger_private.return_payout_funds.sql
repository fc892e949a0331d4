CREATE OR REPLACE FUNCTION ledger_private.return_payout_funds(p_payout ledger.payouts, p_amount numeric, p_kind text)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_holder      bigint := ledger_private.system_wallet(
                                CASE WHEN p_payout.status = 'COMPLETED' THEN 'PAYOUT_PROVIDER' ELSE 'PAYOUTS_IN_TRANSIT' END,
                                p_payout.currency);
    v_suspense    bigint := ledger_private.system_wallet('SUSPENSE', p_payout.currency);
    v_beneficiary numeric;
    v_receivable  numeric;
    v_to_suspense numeric;
    v_to_payee    numeric;
    v_txn         bigint;
BEGIN
    -- What each side put into this payout and has not had back, from the
    -- ledger itself: the beneficiary's debit, and SUSPENSE's advance for an
    -- amount the provider reported above it.
    SELECT coalesce(-sum(e.amount) FILTER (WHERE e.wallet_id = p_payout.beneficiary_wallet_id), 0),
           coalesce(-sum(e.amount) FILTER (WHERE e.wallet_id = v_suspense), 0)
      INTO v_beneficiary, v_receivable
      FROM ledger.transactions AS t JOIN ledger.entries AS e ON e.transaction_id = t.id
     WHERE t.payout_id = p_payout.id;
    -- SUSPENSE's advance comes back first, the beneficiary's money after it:
    -- whatever a provider reports, nobody gets back more than they put in.
    v_to_suspense := least(greatest(p_amount, 0), greatest(v_receivable, 0));
    v_to_payee := least(greatest(p_amount, 0) - v_to_suspense, greatest(v_beneficiary, 0));
    IF v_to_suspense + v_to_payee = 0 THEN
        RETURN NULL;
    END IF;
    v_txn := nextval('ledger.transactions_id_seq');
    PERFORM ledger_private.post(v_txn, p_kind, NULL, p_payout.order_ref,
        ARRAY[v_holder, v_suspense, p_payout.beneficiary_wallet_id],
        ARRAY[-(v_to_suspense + v_to_payee), v_to_suspense, v_to_payee], p_payout_id => p_payout.id);
    RETURN v_txn;
END
$$;
COMMENT ON FUNCTION ledger_private.return_payout_funds(ledger.payouts, numeric, text) IS 'Gives back up to p_amount of what a payout holds (in PAYOUTS_IN_TRANSIT, or PAYOUT_PROVIDER once completed) as one posting of p_kind: SUSPENSE''s advance for an over-reported amount first, then the beneficiary''s own money, each never more than the ledger shows it put into this payout. Returns the transaction id, or NULL when nothing is owed.';
