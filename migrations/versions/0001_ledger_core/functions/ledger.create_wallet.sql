CREATE OR REPLACE FUNCTION ledger.create_wallet(
    p_code text, p_kind text, p_currency text, p_allow_negative boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_id      bigint;
    v_buckets smallint := 1;
    v_wallet  ledger.wallets;
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
    IF p_kind NOT IN ('USER', 'MERCHANT', 'VENDOR', 'COURIER', 'PLATFORM', 'PROVIDER', 'SUSPENSE', 'EXTERNAL') THEN
        RAISE EXCEPTION 'wallet kind % is not valid', quote_literal(left(p_kind, 40))
            USING ERRCODE = 'LG015',
                  DETAIL = format('Wallet %s was requested with kind %s.', quote_literal(p_code), quote_literal(left(p_kind, 40))),
                  HINT = 'Kinds: USER, MERCHANT, VENDOR, COURIER, PLATFORM, PROVIDER, SUSPENSE, EXTERNAL.';
    END IF;
    IF NOT EXISTS (SELECT FROM ledger.currencies AS c WHERE c.code = p_currency) THEN
        RAISE EXCEPTION 'currency % is not known', quote_literal(left(p_currency, 10))
            USING ERRCODE = 'LG004',
                  DETAIL = format('Wallet %s was requested in %s, which is not in ledger.currencies.', quote_literal(p_code), quote_literal(left(p_currency, 10))),
                  HINT = 'Use an ISO 4217 code in upper case, e.g. USD; a DBA adds currencies with a migration.';
    END IF;
    -- Wallets that take a posting from almost every payment get several
    -- balance buckets so their postings do not queue on one row.
    IF p_kind IN ('PLATFORM', 'SUSPENSE', 'PROVIDER', 'EXTERNAL') THEN
        v_buckets := coalesce(ledger_private.setting('hot_wallet_buckets'), '1')::smallint;
    END IF;

    INSERT INTO ledger.wallets (code, kind, currency, allow_negative, bucket_count)
    VALUES (p_code, p_kind, p_currency, p_allow_negative, v_buckets)
    ON CONFLICT (code) DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NOT NULL THEN
        RETURN v_id;
    END IF;

    SELECT * INTO STRICT v_wallet FROM ledger.wallets AS w WHERE w.code = p_code;
    IF (v_wallet.kind, v_wallet.currency, v_wallet.allow_negative) IS DISTINCT FROM (p_kind, p_currency, p_allow_negative) THEN
        RAISE EXCEPTION 'wallet "%" already exists with a different definition', p_code
            USING ERRCODE = 'LG007',
                  DETAIL = format('Existing: kind %s, currency %s, allow_negative %s. Requested: kind %s, currency %s, allow_negative %s.',
                                  v_wallet.kind, v_wallet.currency, v_wallet.allow_negative, p_kind, p_currency, p_allow_negative),
                  HINT = 'Wallet codes are unique; pick another code, or request the existing definition.';
    END IF;
    RETURN v_wallet.id;
END
$$;
COMMENT ON FUNCTION ledger.create_wallet(text, text, text, boolean) IS 'Creates a wallet and returns its id; repeating the same definition returns the same id (idempotent), a different definition for an existing code is LG007.';
REVOKE ALL ON FUNCTION ledger.create_wallet(text, text, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.create_wallet(text, text, text, boolean) TO ledger_app;
