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
        v_id := ledger.create_wallet(v_code,
                                     CASE p_name WHEN 'PLATFORM_MAIN' THEN 'PLATFORM' ELSE p_name END,
                                     p_currency, p_name <> 'PLATFORM_MAIN');
    END IF;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION ledger_private.system_wallet(text, text) IS 'Id of the platform''s PLATFORM_MAIN or SUSPENSE wallet of a currency: the plain code in the default currency, <NAME>:<CUR> otherwise, created on first use.';
