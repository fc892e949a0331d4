-- The nightly settlement batch (role ledger_app), run twice.
BEGIN;
SET ROLE ledger_app;
SELECT plan(7);

SELECT ledger.create_wallet('card', 'EXTERNAL', 'USD', true);
SELECT ledger.create_wallet('vendor:1', 'VENDOR', 'USD');
SELECT ledger.create_wallet('vendor:2', 'VENDOR', 'USD');
SELECT ledger.capture_payment(ledger.create_payment('p1', 'order:1', 'card', 'vendor:1', 100.00, 'USD', 10.00, 'PREPAID'));
SELECT ledger.capture_payment(ledger.create_payment('p2', 'order:2', 'card', 'vendor:2', 40.00, 'USD', 4.00, 'COD'));
SELECT ledger.capture_payment(ledger.create_payment('p3', 'order:3', 'card', 'vendor:1', 20.00, 'USD', 0, 'COD'));
SELECT ledger.process_refund(ledger.approve_refund(ledger.request_refund('r3', (SELECT 3::bigint), 5.00), 'ops')) WHERE false;
SELECT * FROM ledger.payout_once('order:3', 'vendor:1', 20.00);   -- paid by hand before the batch

SELECT isnt(ledger.run_settlement_batch(current_date), NULL, 'the batch runs');
SELECT is(ledger.wallet_balance('vendor:1'), 0.00, 'vendor:1 is paid order 1 net of fee (90) and order 3 once (20)');
SELECT is(ledger.wallet_balance('vendor:2'), 0.00, 'vendor:2 is paid order 2 net of fee (36)');
SELECT is(ledger.wallet_balance('PAYOUTS_IN_TRANSIT'), 146.00, 'in transit: 90 + 36 + 20');
SELECT isnt(ledger.run_settlement_batch(current_date), NULL, 'the batch runs again');
SELECT is(ledger.wallet_balance('PAYOUTS_IN_TRANSIT'), 146.00, 'and pays nothing twice');
SELECT is(ledger.run_settlement_batch(current_date - 1) > 0, true, 'a day without captures is an empty batch');

SELECT * FROM finish();
ROLLBACK;
