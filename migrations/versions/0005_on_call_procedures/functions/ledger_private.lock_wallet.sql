CREATE OR REPLACE FUNCTION ledger_private.lock_wallet(p_code text)
RETURNS ledger.wallets
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_wallet ledger.wallets;
BEGIN
    SELECT * INTO v_wallet FROM ledger.wallets AS w WHERE w.code = p_code FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'wallet "%" does not exist', p_code
            USING ERRCODE = 'LG006', DETAIL = format('No row in ledger.wallets has code %s.', quote_literal(p_code)),
                  HINT = 'Check the code (codes are case-sensitive): SELECT code FROM ledger.wallets WHERE code ILIKE ''%…%''.';
    END IF;
    RETURN v_wallet;
END
$$;
COMMENT ON FUNCTION ledger_private.lock_wallet(text) IS 'The wallet row locked FOR UPDATE (on-call changes of one wallet take turns), or LG006.';
