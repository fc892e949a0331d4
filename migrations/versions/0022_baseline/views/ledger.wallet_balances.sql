CREATE OR REPLACE VIEW ledger.wallet_balances AS
SELECT w.code,
       w.kind,
       w.currency,
       w.status,
       w.allow_negative,
       sum(wb.balance) AS balance,
       sum(wb.entry_count) AS entry_count
  FROM ledger.wallets AS w
  JOIN ledger.wallet_buckets AS wb ON wb.wallet_id = w.id
 GROUP BY w.id;
COMMENT ON VIEW ledger.wallet_balances IS 'Stored balance and entry count per wallet (the runbook''s balance audit), read from the buckets without scanning entries.';
COMMENT ON COLUMN ledger.wallet_balances.code IS 'Wallet code.';
COMMENT ON COLUMN ledger.wallet_balances.kind IS 'Wallet kind.';
COMMENT ON COLUMN ledger.wallet_balances.currency IS 'Wallet currency.';
COMMENT ON COLUMN ledger.wallet_balances.status IS 'ACTIVE, FROZEN or CLOSED.';
COMMENT ON COLUMN ledger.wallet_balances.allow_negative IS 'Whether the balance may go below zero.';
COMMENT ON COLUMN ledger.wallet_balances.balance IS 'Stored balance: the sum of the wallet''s buckets.';
COMMENT ON COLUMN ledger.wallet_balances.entry_count IS 'Entries posted to the wallet.';
GRANT SELECT ON ledger.wallet_balances TO ledger_app, ledger_oncall, ledger_auditor;
