CREATE OR REPLACE FUNCTION ledger.create_wallet(
    p_code text, p_kind text, p_currency text, p_allow_negative boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
BEGIN
    PERFORM ledger_private.require_arguments('ledger.create_wallet', jsonb_build_object(
        'p_code', p_code IS NULL, 'p_kind', p_kind IS NULL, 'p_currency', p_currency IS NULL,
        'p_allow_negative', p_allow_negative IS NULL));
    IF p_code !~ '^[A-Za-z0-9][A-Za-z0-9_:.@-]{0,99}$' THEN
        RAISE EXCEPTION 'wallet code % is not valid', quote_literal(left(p_code, 120))
            USING ERRCODE = 'LG015',
                  DETAIL = 'A wallet code is 1-100 characters: letters, digits and _ : . @ -, starting with a letter or digit.',
                  HINT = 'Use codes like vendor:42 or PLATFORM_MAIN.';
    END IF;
    -- The ledger's own wallets (PLATFORM_MAIN:GBP, …) are made by the ledger
    -- on first use; an application that took the name first would make every
    -- capture in that currency fail. An existing one may be asked for again.
    IF ledger_private.is_system_wallet_code(p_code) AND NOT EXISTS (SELECT FROM ledger.wallets AS w WHERE w.code = p_code) THEN
        RAISE EXCEPTION 'wallet code % is reserved for the ledger''s own wallets', quote_literal(p_code)
            USING ERRCODE = 'LG015',
                  DETAIL = 'PLATFORM_MAIN, SUSPENSE, PAYOUTS_IN_TRANSIT and PAYOUT_PROVIDER, alone or as <NAME>:<CUR>, are created by the ledger when a currency first needs them.',
                  HINT = 'Pick another code, such as merchant:42.';
    END IF;
    RETURN ledger_private.open_wallet(p_code, p_kind, p_currency, p_allow_negative);
END
$$;
COMMENT ON FUNCTION ledger.create_wallet(text, text, text, boolean) IS 'Creates a wallet and returns its id; repeating the same definition returns the same id (idempotent), a different definition for an existing code is LG007. The codes of the ledger''s own wallets are reserved (LG015).';
REVOKE ALL ON FUNCTION ledger.create_wallet(text, text, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.create_wallet(text, text, text, boolean) TO ledger_app;
