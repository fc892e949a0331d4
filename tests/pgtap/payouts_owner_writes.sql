-- Payout invariants hold for direct writes by the owner.
BEGIN;
SET ROLE ledger_owner;
SET CONSTRAINTS ALL IMMEDIATE;
SELECT plan(6);

SELECT ledger.create_wallet('card', 'EXTERNAL', 'USD', true);
SELECT ledger.create_wallet('vendor:1', 'VENDOR', 'USD');
SELECT ledger.post_transaction('fund', 'TRANSFER', '[{"wallet":"card","amount":"-100.00"},{"wallet":"vendor:1","amount":"100.00"}]');
CREATE TEMP TABLE r AS SELECT * FROM ledger.payout_once('order:A', 'vendor:1', 10.00);

-- the unique index is the real guard: no advisory lock involved here
SELECT throws_ok($$INSERT INTO ledger.payouts (order_ref, payout_account_id, beneficiary_wallet_id, merchant_ref, currency, amount,
                                               provider_amount, source, idempotency_key, transaction_id)
                   SELECT order_ref, payout_account_id, beneficiary_wallet_id, merchant_ref, currency, amount, provider_amount,
                          'MANUAL', 'k2', transaction_id FROM ledger.payouts$$,
                 '23505', NULL, 'a second live payout for one order violates payouts_one_live_per_order');
SELECT throws_ok(format($$UPDATE ledger.payouts SET status = 'COMPLETED' WHERE id = %s$$, (SELECT payout_id FROM r)),
                 'LG202', NULL, 'COMPLETED needs its completion posting');
SELECT throws_ok(format($$UPDATE ledger.payouts SET amount = 1 WHERE id = %s$$, (SELECT payout_id FROM r)),
                 'LG016', NULL, 'the amount of a payout never changes');
UPDATE ledger.payouts SET provider_ref = 'prov-1' WHERE id = (SELECT payout_id FROM r);
SELECT throws_ok(format($$UPDATE ledger.payouts SET provider_ref = NULL WHERE id = %s$$, (SELECT payout_id FROM r)),
                 'LG016', NULL, 'a NULL never overwrites a known provider ref');

UPDATE ledger.payout_accounts SET status = 'SUSPENDED', suspended_reason = 'duplicate payout INC-PAY-002';
SELECT throws_ok($$SELECT * FROM ledger.payout_once('order:B', 'vendor:1', 10.00)$$, 'LG201', NULL, 'a suspended payout account gets no new payout');
SELECT throws_ok($$UPDATE ledger.provider_events SET state = 'failed'$$, 'LG012', NULL, 'provider events are append-only');

SELECT * FROM finish();
ROLLBACK;
