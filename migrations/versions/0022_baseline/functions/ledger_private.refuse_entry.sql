CREATE OR REPLACE FUNCTION ledger_private.refuse_entry(
    p_problem text, p_wallet_id bigint, p_transaction_id bigint, p_amount numeric, p_freeze_mode text,
    p_balance_after numeric)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_code     text;
    v_currency text;
BEGIN
    SELECT w.code, w.currency INTO v_code, v_currency FROM ledger.wallets AS w WHERE w.id = p_wallet_id;
    CASE p_problem
        WHEN 'LG009' THEN
            RAISE EXCEPTION 'wallet "%" is CLOSED', v_code
                USING ERRCODE = 'LG009',
                      DETAIL = format('Transaction %s tried to post %s %s to closed wallet %s.',
                                      p_transaction_id, p_amount, v_currency, quote_literal(v_code)),
                      HINT = 'A closed wallet takes no entries, ever; post to the wallet that replaced it.';
        WHEN 'LG008' THEN
            RAISE EXCEPTION 'wallet "%" is FROZEN (%)', v_code, p_freeze_mode
                USING ERRCODE = 'LG008',
                      DETAIL = format('Transaction %s tried to post %s %s to wallet %s, frozen in mode %s (%s).',
                                      p_transaction_id, p_amount, v_currency, quote_literal(v_code), p_freeze_mode,
                                      CASE p_freeze_mode WHEN 'FULL' THEN 'no entries' ELSE 'credits only' END),
                      HINT = 'The wallet was frozen by on-call; see ledger_ops.unfreeze_wallet and the audit log for the ticket.';
        WHEN 'LG010' THEN
            RAISE EXCEPTION 'wallet "%" has insufficient funds', v_code
                USING ERRCODE = 'LG010',
                      DETAIL = format('Debiting %s %s would leave wallet %s at %s; it may not go negative.',
                                      -p_amount, v_currency, quote_literal(v_code), p_balance_after),
                      HINT = 'Fund the wallet first, or debit less.';
    END CASE;
END
$$;
COMMENT ON FUNCTION ledger_private.refuse_entry(text, bigint, bigint, numeric, text, numeric) IS 'Raises the refusal ledger_private.entry_refusal found (LG008, LG009 or LG010) with the wallet''s code, the transaction and the amount: one wording whichever path wrote the entry.';
