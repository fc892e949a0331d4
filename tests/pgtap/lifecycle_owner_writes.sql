-- The state machines hold when the owner writes the rows directly.
BEGIN;
SET ROLE ledger_owner;
SET CONSTRAINTS ALL IMMEDIATE;
SELECT plan(9);

SELECT ledger.create_wallet('card', 'EXTERNAL', 'USD', true);
SELECT ledger.create_wallet('seller', 'MERCHANT', 'USD');
CREATE TEMP TABLE ids (name text PRIMARY KEY, id bigint);
INSERT INTO ids VALUES ('p', ledger.create_payment('pay', 'order:1', 'card', 'seller', 100.00, 'USD', 10.00, 'PREPAID'));
INSERT INTO ids VALUES ('f', ledger.create_payment('pay-f', 'order:2', 'card', 'seller', 100.00, 'USD', 10.00, 'PREPAID'));
SELECT ledger.fail_payment((SELECT id FROM ids WHERE name = 'f'), 'declined');

SELECT throws_ok(format($$UPDATE ledger.payments SET status = 'CAPTURED' WHERE id = %s$$, (SELECT id FROM ids WHERE name = 'f')),
                 'LG101', NULL, 'FAILED -> CAPTURED is refused for the owner too');
SELECT throws_ok(format($$UPDATE ledger.payments SET status = 'REFUNDED' WHERE id = %s$$, (SELECT id FROM ids WHERE name = 'p')),
                 'LG101', NULL, 'INITIATED -> REFUNDED is refused');
SELECT throws_ok(format($$UPDATE ledger.payments SET status = 'CAPTURED', capture_transaction_id = 1 WHERE id = %s$$, (SELECT id FROM ids WHERE name = 'p')),
                 'LG101', NULL, 'CAPTURED needs its own PAYMENT_CAPTURE transaction');
SELECT throws_ok(format($$UPDATE ledger.payments SET amount = 1 WHERE id = %s$$, (SELECT id FROM ids WHERE name = 'p')),
                 'LG016', NULL, 'the amount of a payment never changes');
SELECT throws_ok($$INSERT INTO ledger.payments (idempotency_key, order_ref, payer_wallet_id, payee_wallet_id, currency, amount, platform_fee, method, status)
                   SELECT 'k', 'o', 1, 2, 'USD', 1, 0, 'COD', 'CAPTURED'$$, 'LG101', NULL, 'a payment cannot be born CAPTURED');
SELECT ledger.capture_payment((SELECT id FROM ids WHERE name = 'p'));
SELECT throws_ok(format($$UPDATE ledger.payments SET refunds_reserved = 5 WHERE id = %s$$, (SELECT id FROM ids WHERE name = 'p')),
                 'LG016', NULL, 'refund totals are not written directly');
SELECT throws_ok(format($$INSERT INTO ledger.refunds (idempotency_key, payment_id, amount) VALUES ('k', %s, 100.01)$$, (SELECT id FROM ids WHERE name = 'p')),
                 'LG103', NULL, 'a direct refund past the captured amount is refused');
INSERT INTO ids VALUES ('r', ledger.request_refund('r', (SELECT id FROM ids WHERE name = 'p'), 10));
SELECT throws_ok(format($$UPDATE ledger.refunds SET status = 'COMPLETED' WHERE id = %s$$, (SELECT id FROM ids WHERE name = 'r')),
                 'LG102', NULL, 'PENDING -> COMPLETED is refused');
SELECT throws_ok(format($$DELETE FROM ledger.refunds WHERE id = %s$$, (SELECT id FROM ids WHERE name = 'r')),
                 'LG012', NULL, 'refunds are never deleted');

SELECT * FROM finish();
ROLLBACK;
