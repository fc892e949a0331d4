CREATE OR REPLACE FUNCTION ledger.wallet_balance(p_wallet text)
RETURNS numeric
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_balance numeric;
BEGIN
    PERFORM ledger_private.require_arguments('ledger.wallet_balance', jsonb_build_object('p_wallet', p_wallet IS NULL));
    SELECT sum(wb.balance) INTO v_balance
      FROM ledger.wallet_buckets AS wb
     WHERE wb.wallet_id = ledger_private.wallet_id(p_wallet);
    RETURN v_balance;
END
$$;
COMMENT ON FUNCTION ledger.wallet_balance(text) IS 'Stored balance of a wallet (the sum of its buckets, which equals the sum of its entries); LG006 for an unknown code.';
REVOKE ALL ON FUNCTION ledger.wallet_balance(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.wallet_balance(text) TO ledger_app, ledger_oncall, ledger_auditor;
