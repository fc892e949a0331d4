CREATE OR REPLACE FUNCTION ledger_private.adjust(p_wallet ledger.wallets, p_amount numeric, p_reference text)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
AS $$
BEGIN
    RETURN ledger_private.post(nextval('ledger.transactions_id_seq'), 'ADJUSTMENT', NULL, p_reference,
        ARRAY[p_wallet.id, ledger_private.system_wallet('SUSPENSE', p_wallet.currency)], ARRAY[p_amount, -p_amount]);
END
$$;
COMMENT ON FUNCTION ledger_private.adjust(ledger.wallets, numeric, text) IS 'Posts an ADJUSTMENT of p_amount to the wallet (credit > 0), always balanced against the SUSPENSE wallet of its currency; never one-sided. Returns the transaction id.';
