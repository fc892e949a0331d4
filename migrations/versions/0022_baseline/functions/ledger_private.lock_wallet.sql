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
        RAISE EXCEPTION 'wallet "%" does not exist', left(p_code, 100)
            USING ERRCODE = 'LG006', DETAIL = format('No row in ledger.wallets has code %s%s.', quote_literal(left(p_code, 100)),
                                                     CASE WHEN length(p_code) > 100 THEN format(' (%s characters, cut)', length(p_code)) ELSE '' END),
                  HINT = 'Check the code (codes are case-sensitive): SELECT code FROM ledger.wallets WHERE code ILIKE ''%…%''.';
    END IF;
    RETURN v_wallet;
END
$$;
COMMENT ON FUNCTION ledger_private.lock_wallet(text) IS 'The wallet row locked FOR UPDATE (on-call changes of one wallet take turns), or LG006.';
