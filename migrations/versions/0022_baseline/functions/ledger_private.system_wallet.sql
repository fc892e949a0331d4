CREATE OR REPLACE FUNCTION ledger_private.system_wallet(p_name text, p_currency text)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_default text := ledger_private.setting('default_currency');
    v_code    text := CASE WHEN p_currency = v_default THEN p_name ELSE p_name || ':' || p_currency END;
    v_id      bigint;
BEGIN
    SELECT w.id INTO v_id FROM ledger.wallets AS w WHERE w.code = v_code;
    IF v_id IS NULL THEN
        -- name -> (kind, may go negative)
        v_id := CASE p_name
                    WHEN 'PLATFORM_MAIN' THEN ledger_private.open_wallet(v_code, 'PLATFORM', p_currency, false)
                    WHEN 'SUSPENSE' THEN ledger_private.open_wallet(v_code, 'SUSPENSE', p_currency, true)
                    WHEN 'PAYOUTS_IN_TRANSIT' THEN ledger_private.open_wallet(v_code, 'PLATFORM', p_currency, false)
                    WHEN 'PAYOUT_PROVIDER' THEN ledger_private.open_wallet(v_code, 'PROVIDER', p_currency, true)
                END;
    END IF;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'no system wallet is called %', quote_literal(p_name)
            USING ERRCODE = 'LG015', DETAIL = format('ledger_private.system_wallet(%L, %L).', p_name, p_currency),
                  HINT = 'System wallets: PLATFORM_MAIN, SUSPENSE, PAYOUTS_IN_TRANSIT, PAYOUT_PROVIDER.';
    END IF;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION ledger_private.system_wallet(text, text) IS 'Id of a platform wallet of a currency: PLATFORM_MAIN and PAYOUTS_IN_TRANSIT (may not go negative), SUSPENSE and PAYOUT_PROVIDER (may); the plain code in the default currency, <NAME>:<CUR> otherwise; created on first use.';
