CREATE OR REPLACE FUNCTION ledger_private.is_system_wallet_code(p_code text)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
    SELECT p_code ~ '^(PLATFORM_MAIN|SUSPENSE|PAYOUTS_IN_TRANSIT|PAYOUT_PROVIDER)(:.*)?$'
$$;
COMMENT ON FUNCTION ledger_private.is_system_wallet_code(text) IS 'Whether a wallet code is reserved for the ledger''s own wallets: PLATFORM_MAIN, SUSPENSE, PAYOUTS_IN_TRANSIT, PAYOUT_PROVIDER, alone or with :<anything>. Only ledger_private.system_wallet creates them.';
