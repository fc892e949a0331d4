-- Refunds as the application drives them (role ledger_app).
BEGIN;
SET ROLE ledger_app;
SELECT plan(26);

SELECT ledger.create_wallet('card', 'EXTERNAL', 'USD', true);
SELECT ledger.create_wallet('buyer', 'USER', 'USD');
SELECT ledger.create_wallet('seller', 'MERCHANT', 'USD');
SELECT ledger.post_transaction('fund', 'TRANSFER', '[{"wallet":"card","amount":"-500.00"},{"wallet":"buyer","amount":"500.00"}]');
CREATE TEMP TABLE ids (name text PRIMARY KEY, id bigint);
INSERT INTO ids VALUES ('p', ledger.create_payment('pay', 'order:1', 'buyer', 'seller', 100.00, 'USD', 10.00, 'PREPAID'));
INSERT INTO ids VALUES ('uncaptured', ledger.create_payment('pay-u', 'order:2', 'buyer', 'seller', 10.00, 'USD', 0, 'PREPAID'));
SELECT throws_ok(format('SELECT ledger.request_refund(%L, %s, 1)', 'r-u', (SELECT id FROM ids WHERE name = 'uncaptured')), 'LG101', NULL, 'an uncaptured payment cannot be refunded');
SELECT ledger.capture_payment((SELECT id FROM ids WHERE name = 'p'));

INSERT INTO ids VALUES ('r1', ledger.request_refund('r-1', (SELECT id FROM ids WHERE name = 'p'), 30.00));
SELECT is(ledger.request_refund('r-1', (SELECT id FROM ids WHERE name = 'p'), 30), (SELECT id FROM ids WHERE name = 'r1'), 'the same refund request returns the same refund');
SELECT throws_ok(format('SELECT ledger.process_refund(%s)', (SELECT id FROM ids WHERE name = 'r1')), 'LG102', NULL, 'a PENDING refund cannot be processed');
SELECT is((SELECT action FROM ledger.retry_advice('refund', (SELECT id FROM ids WHERE name = 'r1'))), 'WAIT', 'a PENDING refund: WAIT for approval');
SELECT throws_ok(format('SELECT ledger.request_refund(%L, %s, 70.01)', 'r-2', (SELECT id FROM ids WHERE name = 'p')), 'LG103', NULL, 'refunds past the captured amount are refused');
SELECT throws_ok(format('SELECT ledger.request_refund(%L, %s, 0)', 'r-2', (SELECT id FROM ids WHERE name = 'p')), 'LG002', NULL, 'a zero refund is refused');
SELECT throws_ok(format('SELECT ledger.request_refund(%L, %s, -5)', 'r-2', (SELECT id FROM ids WHERE name = 'p')), 'LG002', NULL, 'a negative refund is refused');
SELECT throws_ok(format('SELECT ledger.request_refund(%L, %s, 5.555)', 'r-2', (SELECT id FROM ids WHERE name = 'p')), 'LG003', NULL, 'too many decimals are refused');
SELECT throws_ok($$SELECT ledger.request_refund('r-2', 999999, 5)$$, 'LG104', NULL, 'an unknown payment is refused');

SELECT is(ledger.approve_refund((SELECT id FROM ids WHERE name = 'r1'), 'ops:kim'), (SELECT id FROM ids WHERE name = 'r1'), 'PENDING -> APPROVED');
SELECT is((SELECT action FROM ledger.retry_advice('refund', (SELECT id FROM ids WHERE name = 'r1'))), 'RETRY', 'an APPROVED refund: RETRY once');
INSERT INTO ids VALUES ('t1', ledger.process_refund((SELECT id FROM ids WHERE name = 'r1')));
SELECT is(ledger.wallet_balance('buyer'), 430.00, 'the payer gets 30 back');
SELECT is(ledger.wallet_balance('seller'), 60.00, 'the payee bears the whole refund without a fee refund');
SELECT is(ledger.process_refund((SELECT id FROM ids WHERE name = 'r1')), (SELECT id FROM ids WHERE name = 't1'), 'processing twice returns the same transaction');
SELECT is(ledger.wallet_balance('buyer'), 430.00, 'and writes nothing');
SELECT is((SELECT action FROM ledger.retry_advice('refund', (SELECT id FROM ids WHERE name = 'r1'))), 'ALREADY_DONE', 'a COMPLETED refund: ALREADY_DONE');
SELECT throws_ok(format('SELECT ledger.fail_refund(%s, %L)', (SELECT id FROM ids WHERE name = 'r1'), 'x'), 'LG102', NULL, 'a COMPLETED refund cannot fail');

-- the rest, with the platform fee refunded in proportion (the seller had other income meanwhile)
SELECT ledger.post_transaction('seller-income', 'TRANSFER', '[{"wallet":"card","amount":"-10.00"},{"wallet":"seller","amount":"10.00"}]');
INSERT INTO ids VALUES ('r2', ledger.request_refund('r-2', (SELECT id FROM ids WHERE name = 'p'), 35, true));
INSERT INTO ids VALUES ('r3', ledger.request_refund('r-3', (SELECT id FROM ids WHERE name = 'p'), 35, true));
SELECT ledger.approve_refund(id, 'ops:kim') FROM ids WHERE name IN ('r2', 'r3');
SELECT ledger.process_refund(id) FROM ids WHERE name = 'r2';
SELECT is(ledger.wallet_balance('PLATFORM_MAIN'), 6.50, 'the platform returns 3.50 of its 10.00 fee for 35 of 100');
SELECT ledger.process_refund(id) FROM ids WHERE name = 'r3';
SELECT is(ledger.wallet_balance('PLATFORM_MAIN'), 3.00, 'and 3.50 more: 7.00 for 70 of 100');
SELECT is(ledger.wallet_balance('buyer'), 500.00, 'the payer has everything back');
SELECT is(ledger.wallet_balance('seller'), 7.00, 'the payee returned 30 + 31.50 + 31.50 of its 90 + 10');
SELECT throws_ok(format('SELECT ledger.request_refund(%L, %s, 0.01)', 'r-4', (SELECT id FROM ids WHERE name = 'p')), 'LG101', NULL, 'a REFUNDED payment takes no more refunds');

-- proportional shares telescope: 33.33 + 33.33 + 33.34 return exactly the fee of 10.00
INSERT INTO ids VALUES ('p3', ledger.create_payment('pay-3', 'order:4', 'buyer', 'seller', 100.00, 'USD', 10.00, 'PREPAID'));
SELECT ledger.capture_payment((SELECT id FROM ids WHERE name = 'p3'));
SELECT ledger.process_refund(ledger.approve_refund(ledger.request_refund('r-3-' || n, (SELECT id FROM ids WHERE name = 'p3'), a, true), 'ops:kim'))
  FROM (VALUES (1, 33.33), (2, 33.33), (3, 33.34)) AS v (n, a) ORDER BY n;
SELECT is(ledger.wallet_balance('PLATFORM_MAIN'), 3.00, 'three odd shares (3.33, 3.34, 3.33) return exactly the 10.00 fee');
SELECT is((SELECT action FROM ledger.retry_advice('payment', (SELECT id FROM ids WHERE name = 'p3'))), 'ALREADY_DONE', 'a REFUNDED payment was captured: ALREADY_DONE');

-- fail releases the reservation
INSERT INTO ids VALUES ('p2', ledger.create_payment('pay-2', 'order:3', 'buyer', 'seller', 50.00, 'USD', 0, 'PREPAID'));
SELECT ledger.capture_payment((SELECT id FROM ids WHERE name = 'p2'));
INSERT INTO ids VALUES ('r5', ledger.request_refund('r-5', (SELECT id FROM ids WHERE name = 'p2'), 50));
SELECT ledger.fail_refund((SELECT id FROM ids WHERE name = 'r5'), 'customer withdrew');
SELECT lives_ok(format('SELECT ledger.request_refund(%L, %s, 50)', 'r-6', (SELECT id FROM ids WHERE name = 'p2')), 'a failed refund frees its amount');
SELECT throws_ok(format('SELECT ledger.approve_refund(%s, %L)', (SELECT id FROM ids WHERE name = 'r5'), 'ops:kim'), 'LG102', NULL, 'a failed refund is final');

SELECT * FROM finish();
ROLLBACK;
