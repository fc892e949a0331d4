-- ledger.create_wallet as the application calls it (role ledger_app).
BEGIN;
SET ROLE ledger_app;
SELECT plan(10);

SELECT is(ledger.create_wallet('vendor:42', 'VENDOR', 'USD'), ledger.create_wallet('vendor:42', 'VENDOR', 'USD', false),
          'creating the same wallet twice returns the same id');
SELECT throws_ok($$SELECT ledger.create_wallet('vendor:42', 'VENDOR', 'EUR')$$, 'LG007', NULL, 'the same code in another currency is a conflict');
SELECT throws_ok($$SELECT ledger.create_wallet('v', 'ROBOT', 'USD')$$, 'LG015', NULL, 'an unknown kind is refused');
SELECT throws_ok($$SELECT ledger.create_wallet('v', 'USER', 'usd')$$, 'LG004', NULL, 'an unknown currency is refused');
SELECT throws_ok($$SELECT ledger.create_wallet('bad code; drop table x', 'USER', 'USD')$$, 'LG015', NULL, 'a malformed code is refused');
SELECT throws_ok($$SELECT ledger.create_wallet('v', 'USER', 'USD', NULL)$$, 'LG001', NULL, 'NULL allow_negative is an error');
SELECT throws_ok($$SELECT ledger.wallet_balance('nobody')$$, 'LG006', NULL, 'the balance of an unknown wallet is an error');
SELECT is(ledger.wallet_balance('vendor:42'), 0::numeric, 'a new wallet holds zero');
SELECT is((SELECT balance FROM ledger.wallet_balances WHERE code = 'PLATFORM_MAIN'), 0::numeric, 'PLATFORM_MAIN exists from the migrations');
SELECT is((SELECT currency FROM ledger.wallet_balances WHERE code = 'SUSPENSE'), 'USD', 'SUSPENSE is in the default currency');

SELECT * FROM finish();
ROLLBACK;
