-- Payouts, settlement and provider callbacks as the application drives them (role ledger_app).
BEGIN;
SET ROLE ledger_app;
SELECT plan(27);

SELECT ledger.create_wallet('card', 'EXTERNAL', 'USD', true);
SELECT ledger.create_wallet('buyer', 'USER', 'USD');
SELECT ledger.create_wallet('vendor:1', 'VENDOR', 'USD');
SELECT ledger.create_wallet('vendor:2', 'VENDOR', 'USD');
SELECT ledger.post_transaction('fund', 'TRANSFER', '[{"wallet":"card","amount":"-1000.00"},{"wallet":"buyer","amount":"1000.00"}]');
SELECT ledger.post_transaction('fund-v1', 'TRANSFER', '[{"wallet":"card","amount":"-300.00"},{"wallet":"vendor:1","amount":"300.00"}]');
CREATE TEMP TABLE r (name text PRIMARY KEY, payout_id bigint, created boolean, status text);

-- payout_once: one creates, the rest get it
INSERT INTO r SELECT 'a', * FROM ledger.payout_once('order:A', 'vendor:1', 100.00);
SELECT is((SELECT (created, status) FROM r WHERE name = 'a'), (true, 'PENDING'::text), 'the first call creates a PENDING payout');
SELECT is(ledger.wallet_balance('vendor:1'), 200.00, 'the beneficiary is debited when the payout is made');
SELECT is(ledger.wallet_balance('PAYOUTS_IN_TRANSIT'), 100.00, 'into payouts in transit');
INSERT INTO r SELECT 'a2', * FROM ledger.payout_once('order:A', 'vendor:1', 100.00, 'BATCH');
SELECT is((SELECT (payout_id, created) FROM r WHERE name = 'a2'), (SELECT (payout_id, false) FROM r WHERE name = 'a'), 'a second call gets the same payout, created = false');
SELECT is(ledger.wallet_balance('vendor:1'), 200.00, 'and pays nothing twice');
SELECT throws_ok($$SELECT * FROM ledger.payout_once('order:B', 'vendor:1', 250.00)$$, 'LG010', NULL, 'no payout beyond the balance');
SELECT throws_ok($$SELECT * FROM ledger.payout_once('order:B', 'vendor:1', 0)$$, 'LG002', NULL, 'a zero payout is refused');
SELECT throws_ok($$SELECT * FROM ledger.payout_once('order:B', 'vendor:1', 1.001)$$, 'LG003', NULL, 'too many decimals are refused');
SELECT throws_ok($$SELECT * FROM ledger.payout_once('order:B', 'nobody', 1)$$, 'LG006', NULL, 'an unknown beneficiary is refused');
SELECT throws_ok($$SELECT * FROM ledger.payout_once('order:B', 'vendor:1', 1, 'CRON')$$, 'LG015', NULL, 'an unknown source is refused');
SELECT throws_ok($$SELECT * FROM ledger.payout_once(NULL, 'vendor:1', 1)$$, 'LG001', NULL, 'a NULL order is an error');

-- completion and failure move the money, once
SELECT isnt(ledger.complete_payout((SELECT payout_id FROM r WHERE name = 'a'), 'prov-1'), NULL, 'completion posts');
SELECT is(ledger.wallet_balance('PAYOUT_PROVIDER'), 100.00, 'the money moved from in transit to the provider');
SELECT is(ledger.complete_payout((SELECT payout_id FROM r WHERE name = 'a'), 'prov-1'),
          ledger.complete_payout((SELECT payout_id FROM r WHERE name = 'a'), 'prov-1'), 'completing again returns the same transaction');
SELECT throws_ok(format('SELECT ledger.complete_payout(%s, %L)', (SELECT payout_id FROM r WHERE name = 'a'), 'prov-other'), 'LG202', NULL, 'a second provider ref for one payout is refused');
SELECT throws_ok(format('SELECT ledger.fail_payout(%s, %L)', (SELECT payout_id FROM r WHERE name = 'a'), 'x'), 'LG202', NULL, 'a completed payout cannot fail here');
INSERT INTO r SELECT 'c', * FROM ledger.payout_once('order:C', 'vendor:1', 50.00);
SELECT ledger.fail_payout((SELECT payout_id FROM r WHERE name = 'c'), 'bank rejected');
SELECT is(ledger.wallet_balance('vendor:1'), 200.00, 'a failed payout returns the money');
INSERT INTO r SELECT 'c2', * FROM ledger.payout_once('order:C', 'vendor:1', 50.00, 'RETRY');
SELECT ok((SELECT created FROM r WHERE name = 'c2'), 'after a failure the order can be paid again');
SELECT throws_ok($$SELECT ledger.complete_payout(999999, 'x')$$, 'LG203', NULL, 'an unknown payout is refused');

-- provider callbacks: replay, out of order, corrections, one ref per merchant
SELECT is(ledger.record_provider_event('acme', 'vendor:1', 'ev-2', 2, (SELECT payout_id FROM r WHERE name = 'c2'), 'prov-2', 'submitted', 50.00, 'USD'), 'APPLIED', 'an event is applied');
SELECT is(ledger.record_provider_event('acme', 'vendor:1', 'ev-2', 2, (SELECT payout_id FROM r WHERE name = 'c2'), 'prov-2', 'submitted', 50.00, 'USD'), 'DUPLICATE', 'its replay is a no-op');
SELECT is(ledger.record_provider_event('acme', 'vendor:1', 'ev-1', 1, (SELECT payout_id FROM r WHERE name = 'c2'), NULL, 'created', 50.00, 'USD'), 'STALE', 'an older event never overwrites');
SELECT is(ledger.record_provider_event('acme', 'vendor:1', 'ev-3', 3, (SELECT payout_id FROM r WHERE name = 'c2'), NULL, 'succeeded', 48.00, 'USD'), 'APPLIED', 'a later event with a corrected amount supersedes');
SELECT is(ledger.wallet_balance('vendor:1'), 152.00, 'the 2.00 the provider did not pay is back with the beneficiary (a compensating posting)');
SELECT is(ledger.wallet_balance('PAYOUT_PROVIDER'), 148.00, 'the provider holds what it paid');
SELECT throws_ok(format($$SELECT ledger.complete_payout(%s, 'prov-2')$$, (SELECT payout_id FROM ledger.payout_once('order:D', 'vendor:1', 1.00))),
                 'LG204', NULL, 'the same provider ref on a second payout of the merchant is refused');
SELECT throws_ok(format($$SELECT ledger.record_provider_event('acme', 'vendor:2', 'ev-9', 9, %s, NULL, 'succeeded', 1, 'USD')$$, (SELECT payout_id FROM r WHERE name = 'c2')),
                 'LG205', NULL, 'an event for another merchant is refused');

SELECT * FROM finish();
ROLLBACK;
