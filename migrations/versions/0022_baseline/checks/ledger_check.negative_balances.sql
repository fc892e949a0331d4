CREATE OR REPLACE FUNCTION ledger_check.negative_balances(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT 'negative_balances', 'CRITICAL', w.code, b.balance,
           jsonb_build_object('wallet', w.code, 'kind', w.kind, 'currency', w.currency, 'balance', b.balance),
           'A wallet that may not go negative is below zero: freeze it (ledger_ops.freeze_wallet) and find the debit that got through.'
      FROM ledger.wallets AS w
      JOIN (SELECT wb.wallet_id, sum(wb.balance) AS balance FROM ledger.wallet_buckets AS wb GROUP BY wb.wallet_id) AS b
        ON b.wallet_id = w.id
     WHERE NOT w.allow_negative AND b.balance < 0
$$;
COMMENT ON FUNCTION ledger_check.negative_balances(interval) IS 'Wallets that may not go negative holding less than zero (the entry trigger forbids it, so it was bypassed). CRITICAL. Not windowed.';
REVOKE ALL ON FUNCTION ledger_check.negative_balances(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.negative_balances(interval) TO ledger_oncall, ledger_auditor;
