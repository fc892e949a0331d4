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
        RAISE EXCEPTION 'wallet "%" does not exist', left(p_code, 100)
            USING ERRCODE = 'LG006',
                  DETAIL = format('No row in ledger.wallets has code %s%s.', quote_literal(left(p_code, 100)),
                                 CASE WHEN length(p_code) > 100 THEN format(' (%s characters, cut)', length(p_code)) ELSE '' END),
                  HINT = 'Create it with ledger.create_wallet, or check the code (codes are case-sensitive).';
    END IF;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION ledger_private.wallet_id(text) IS 'Id of the wallet with this code, or LG006.';
