-- Payments as the application drives them (role ledger_app).
BEGIN;
SET ROLE ledger_app;
SELECT plan(32);

SELECT ledger.create_wallet('card', 'EXTERNAL', 'USD', true);
SELECT ledger.create_wallet('buyer', 'USER', 'USD');
SELECT ledger.create_wallet('seller', 'MERCHANT', 'USD');
SELECT ledger.create_wallet('eur:seller', 'MERCHANT', 'EUR');
SELECT ledger.create_wallet('frozen:seller', 'MERCHANT', 'USD');
SELECT ledger.post_transaction('fund', 'TRANSFER', '[{"wallet":"card","amount":"-500.00"},{"wallet":"buyer","amount":"500.00"}]');
CREATE TEMP TABLE ids (name text PRIMARY KEY, id bigint);

-- create: idempotent, validated
INSERT INTO ids VALUES ('p1', ledger.create_payment('pay-1', 'order:1', 'buyer', 'seller', 100.00, 'USD', 5.00, 'PREPAID'));
SELECT is(ledger.create_payment('pay-1', 'order:1', 'buyer', 'seller', 100, 'USD', 5, 'PREPAID'), (SELECT id FROM ids WHERE name = 'p1'),
          'the same create request returns the same payment');
SELECT throws_ok($$SELECT ledger.create_payment('pay-1', 'order:1', 'buyer', 'seller', 101, 'USD', 5, 'PREPAID')$$, 'LG013', NULL, 'the same key for another amount is refused');
SELECT throws_ok($$SELECT ledger.create_payment('pay-x', 'order:x', 'buyer', 'seller', 10, 'USD', 11, 'PREPAID')$$, 'LG107', NULL, 'a fee above the amount is refused');
SELECT throws_ok($$SELECT ledger.create_payment('pay-x', 'order:x', 'buyer', 'seller', -10, 'USD', 0, 'PREPAID')$$, 'LG002', NULL, 'a negative amount is refused');
SELECT throws_ok($$SELECT ledger.create_payment('pay-x', 'order:x', 'buyer', 'seller', 10, 'USD', -1, 'PREPAID')$$, 'LG002', NULL, 'a negative fee is refused');
SELECT throws_ok($$SELECT ledger.create_payment('pay-x', 'order:x', 'buyer', 'seller', 'NaN', 'USD', 0, 'PREPAID')$$, 'LG002', NULL, 'a NaN amount is refused');
SELECT throws_ok($$SELECT ledger.create_payment('pay-x', 'order:x', 'buyer', 'seller', 10.001, 'USD', 0, 'PREPAID')$$, 'LG003', NULL, 'too many decimals are refused');
SELECT throws_ok($$SELECT ledger.create_payment('pay-x', 'order:x', 'buyer', 'eur:seller', 10, 'USD', 0, 'PREPAID')$$, 'LG005', NULL, 'a payee in another currency is refused');
SELECT throws_ok($$SELECT ledger.create_payment('pay-x', 'order:x', 'buyer', 'seller', 10, 'USD', 0, 'CARD')$$, 'LG015', NULL, 'an unknown method is refused');
SELECT throws_ok($$SELECT ledger.create_payment('pay-x', 'order:x', 'buyer', 'nobody', 10, 'USD', 0, 'COD')$$, 'LG006', NULL, 'an unknown payee is refused');
SELECT throws_ok($$SELECT ledger.create_payment('pay-x', 'order:x', 'buyer', 'seller', 10, NULL, 0, 'COD')$$, 'LG001', NULL, 'a NULL currency is an error');
SELECT is((SELECT action FROM ledger.retry_advice('payment', (SELECT id FROM ids WHERE name = 'p1'))), 'RETRY', 'an INITIATED payment: RETRY the capture');

-- capture: three legs, once
INSERT INTO ids VALUES ('t1', ledger.capture_payment((SELECT id FROM ids WHERE name = 'p1'), 'gw-1'));
SELECT is(ledger.wallet_balance('buyer'), 400.00, 'the payer is debited the amount');
SELECT is(ledger.wallet_balance('seller'), 95.00, 'the payee is credited amount minus fee');
SELECT is(ledger.wallet_balance('PLATFORM_MAIN'), 5.00, 'PLATFORM_MAIN is credited the fee');
SELECT is(ledger.capture_payment((SELECT id FROM ids WHERE name = 'p1')), (SELECT id FROM ids WHERE name = 't1'), 'a second capture returns the first transaction');
SELECT is(ledger.wallet_balance('buyer'), 400.00, 'and writes nothing');
SELECT is((SELECT action FROM ledger.retry_advice('payment', (SELECT id FROM ids WHERE name = 'p1'))), 'ALREADY_DONE', 'a captured payment: ALREADY_DONE');
SELECT throws_ok(format('SELECT ledger.fail_payment(%s, %L)', (SELECT id FROM ids WHERE name = 'p1'), 'late failure'), 'LG101', NULL, 'a captured payment cannot fail');

-- authorize, fail, and what a failed payment refuses
INSERT INTO ids VALUES ('p2', ledger.create_payment('pay-2', 'order:2', 'buyer', 'seller', 20, 'USD', 0, 'COD'));
SELECT is(ledger.authorize_payment((SELECT id FROM ids WHERE name = 'p2'), 'auth-2'), (SELECT id FROM ids WHERE name = 'p2'), 'INITIATED -> AUTHORIZED');
SELECT is(ledger.fail_payment((SELECT id FROM ids WHERE name = 'p2'), 'gateway declined'), (SELECT id FROM ids WHERE name = 'p2'), 'AUTHORIZED -> FAILED');
SELECT lives_ok(format('SELECT ledger.fail_payment(%s, %L)', (SELECT id FROM ids WHERE name = 'p2'), 'again'), 'failing twice is a no-op');
SELECT throws_ok(format('SELECT ledger.capture_payment(%s)', (SELECT id FROM ids WHERE name = 'p2')), 'LG101', NULL, 'capture after FAILED is refused');
SELECT throws_ok(format('SELECT ledger.authorize_payment(%s)', (SELECT id FROM ids WHERE name = 'p2')), 'LG101', NULL, 'authorize after FAILED is refused');
SELECT is((SELECT action FROM ledger.retry_advice('payment', (SELECT id FROM ids WHERE name = 'p2'))), 'INVESTIGATE', 'a failed payment: INVESTIGATE');
SELECT throws_ok($$SELECT ledger.capture_payment(999999)$$, 'LG104', NULL, 'an unknown payment is refused');
SELECT throws_ok($$SELECT ledger.capture_payment(NULL)$$, 'LG001', NULL, 'a NULL payment id is an error');
SELECT throws_ok($$SELECT * FROM ledger.retry_advice('invoice', 1)$$, 'LG015', NULL, 'retry advice knows payments and refunds');

-- the payer must have the money; a frozen payee takes nothing
INSERT INTO ids VALUES ('p3', ledger.create_payment('pay-3', 'order:3', 'buyer', 'seller', 450, 'USD', 0, 'PREPAID'));
SELECT throws_ok(format('SELECT ledger.capture_payment(%s)', (SELECT id FROM ids WHERE name = 'p3')), 'LG010', NULL, 'a payer without the money cannot be captured');
SELECT is((SELECT action FROM ledger.retry_advice('payment', (SELECT id FROM ids WHERE name = 'p3'))), 'RETRY', 'and the payment is still INITIATED');

-- a zero fee writes two legs; EUR fees go to PLATFORM_MAIN:EUR
INSERT INTO ids VALUES ('p4', ledger.create_payment('pay-4', 'order:4', 'buyer', 'seller', 10, 'USD', 0, 'COD'));
SELECT ledger.capture_payment((SELECT id FROM ids WHERE name = 'p4'));
SELECT is((SELECT entry_count FROM ledger.wallet_balances WHERE code = 'PLATFORM_MAIN'), 1::numeric, 'a zero fee posts no platform leg');
SELECT ledger.create_wallet('eur:buyer', 'USER', 'EUR', true);
INSERT INTO ids VALUES ('p5', ledger.create_payment('pay-5', 'order:5', 'eur:buyer', 'eur:seller', 10, 'EUR', 1, 'PREPAID'));
SELECT ledger.capture_payment((SELECT id FROM ids WHERE name = 'p5'));
SELECT is(ledger.wallet_balance('PLATFORM_MAIN:EUR'), 1.00, 'a EUR fee lands in PLATFORM_MAIN:EUR, created on first use');

SELECT * FROM finish();
ROLLBACK;
