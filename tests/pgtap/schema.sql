-- The deployed shape: schemas, tables, the API and who may call it.
BEGIN;
SELECT plan(24);

SELECT schemas_are(ARRAY['public', 'ledger', 'ledger_private', 'ledger_check', 'ledger_ops'], 'exactly the ledger schemas exist besides public');
SELECT schema_owner_is(s, 'ledger_owner', format('schema %s is owned by ledger_owner', s))
  FROM unnest(ARRAY['ledger', 'ledger_private', 'ledger_check', 'ledger_ops']) AS s;
SELECT tables_are('ledger', ARRAY['settings', 'currencies', 'transaction_kinds', 'wallets', 'wallet_buckets',
                                  'transactions', 'entries', 'idempotency_keys', 'audit_log', 'processing_switches',
                                  'payments', 'refunds', 'payout_accounts', 'payout_orders', 'payouts',
                                  'settlement_batches', 'settlement_batch_items', 'settlement_batch_refusals', 'provider_events', 'check_runs',
                                  'check_findings', 'adjustment_requests', 'reversal_requests'], 'the ledger tables');
SELECT is((SELECT rolcanlogin FROM pg_roles WHERE rolname = 'ledger_owner'), false, 'ledger_owner cannot log in');

SELECT function_privs_are('ledger', 'post_transaction', ARRAY['text', 'text', 'jsonb', 'text'], 'ledger_app', ARRAY['EXECUTE'], 'ledger_app may post');
SELECT function_privs_are('ledger', 'post_transaction', ARRAY['text', 'text', 'jsonb', 'text'], 'public', ARRAY[]::text[], 'PUBLIC may not post');
SELECT function_privs_are('ledger', 'create_wallet', ARRAY['text', 'text', 'text', 'boolean'], 'public', ARRAY[]::text[], 'PUBLIC may not create wallets');
SELECT function_privs_are('ledger', 'wallet_balance', ARRAY['text'], 'ledger_auditor', ARRAY['EXECUTE'], 'the auditor reads balances');
SELECT is_definer('ledger', 'post_transaction', ARRAY['text', 'text', 'jsonb', 'text'], 'post_transaction runs as the owner');
SELECT is_definer('ledger_private', 'tg_entries__zero_sum', ARRAY[]::text[], 'the deferred zero-sum trigger runs as the owner at COMMIT');

SELECT table_privs_are('ledger', t, 'ledger_app', ARRAY[]::text[], format('ledger_app has no privilege on ledger.%s', t))
  FROM unnest(ARRAY['wallets', 'wallet_buckets', 'transactions', 'entries', 'idempotency_keys']) AS t;
SELECT table_privs_are('ledger', 'entries', 'ledger_oncall', ARRAY['SELECT'], 'on-call reads entries, nothing more');

SELECT trigger_is('ledger', 'entries', '_100_apply', 'ledger_private', 'tg_entries__apply', 'entries are applied by the trigger');
SELECT trigger_is('ledger', 'entries', '_900_zero_sum', 'ledger_private', 'tg_entries__zero_sum', 'entries are checked for zero sum');
SELECT ok((SELECT tgdeferrable AND tginitdeferred FROM pg_trigger WHERE tgname = '_900_zero_sum'), 'the zero-sum trigger is deferred to COMMIT');
SELECT col_not_null('ledger', 'entries', 'balance_after', 'every entry carries its balance after');
SELECT has_index('ledger', 'entries', 'entries_transaction_id', 'entries are found by transaction');

SELECT * FROM finish();
ROLLBACK;
