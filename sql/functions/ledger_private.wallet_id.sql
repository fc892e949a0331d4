CREATE OR REPLACE FUNCTION ledger_private.wallet_id(p_code text)
RETURNS bigint
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_id bigint;
BEGIN
    SELECT w.id INTO v_id FROM ledger.wallets AS w WHERE w.code = p_code;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'wallet "%" does not exist', p_code
            USING ERRCODE = 'LG006',
                  DETAIL = format('No row in ledger.wallets has code %s.', quote_literal(p_code)),
                  HINT = 'Create it with ledger.create_wallet, or check the code (codes are case-sensitive).';
    END IF;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION ledger_private.wallet_id(text) IS 'Id of the wallet with this code, or LG006.';
