CREATE OR REPLACE FUNCTION ledger_private.open_wallet(
    p_code text, p_kind text, p_currency text, p_allow_negative boolean)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_id      bigint;
    v_buckets smallint := 1;
    v_wallet  ledger.wallets;
BEGIN
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
COMMENT ON FUNCTION ledger_private.open_wallet(text, text, text, boolean) IS 'Creates a wallet of a valid kind (LG015) and currency (LG004), with hot-wallet buckets for PLATFORM, SUSPENSE, PROVIDER and EXTERNAL kinds, or returns the existing one of the same definition (else LG007). Called by ledger.create_wallet and, for the reserved codes, ledger_private.system_wallet.';
