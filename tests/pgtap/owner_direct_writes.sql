-- Invariants hold for the owning role writing the tables directly.
-- Deferred triggers fire at COMMIT; this file rolls back, so it asks for
-- them at statement end.
BEGIN;
SET ROLE ledger_owner;
SET CONSTRAINTS ALL IMMEDIATE;
SELECT plan(21);

SELECT ledger.create_wallet('world', 'EXTERNAL', 'USD', true);
SELECT ledger.create_wallet('alice', 'USER', 'USD');
SELECT ledger.create_wallet('carol', 'USER', 'EUR', true);
SELECT ledger.post_transaction('seed', 'TRANSFER', '[{"wallet":"world","amount":"-50.00"},{"wallet":"alice","amount":"50.00"}]');

CREATE TEMP TABLE w AS SELECT code, id FROM ledger.wallets;
CREATE FUNCTION pg_temp.txn() RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO ledger.transactions (kind) VALUES ('TRANSFER') RETURNING id $$;

-- append-only (invariant 2)
SELECT throws_ok($$UPDATE ledger.entries SET amount = amount * 2$$, 'LG012', NULL, 'UPDATE of entries is refused');
SELECT throws_ok($$DELETE FROM ledger.entries$$, 'LG012', NULL, 'DELETE of entries is refused');
SELECT throws_ok($$TRUNCATE ledger.entries CASCADE$$, 'LG012', NULL, 'TRUNCATE of entries is refused');
SELECT throws_ok($$UPDATE ledger.transactions SET reference = 'x'$$, 'LG012', NULL, 'transaction headers are append-only');
SELECT throws_ok($$DELETE FROM ledger.wallets WHERE code = 'alice'$$, 'LG012', NULL, 'wallets are never deleted');

-- zero sum, entry by entry
SELECT throws_ok(format($$INSERT INTO ledger.entries (transaction_id, wallet_id, amount) VALUES (%s, %s, 5)$$,
                        pg_temp.txn(), (SELECT id FROM w WHERE code = 'world')), 'LG011', NULL, 'a one-sided entry is refused');
SELECT throws_ok(format($$INSERT INTO ledger.entries (transaction_id, wallet_id, amount) VALUES (%1$s, %2$s, -5), (%1$s, %3$s, 5)$$,
                        pg_temp.txn(), (SELECT id FROM w WHERE code = 'world'), (SELECT id FROM w WHERE code = 'carol')),
                 'LG011', NULL, 'a USD/EUR pair that sums to zero overall is refused for direct writes too');
SELECT throws_ok(format($$INSERT INTO ledger.entries (transaction_id, wallet_id, currency, amount) VALUES (%s, %s, 'EUR', 5)$$,
                        pg_temp.txn(), (SELECT id FROM w WHERE code = 'world')), 'LG005', NULL, 'an explicit wrong currency is refused');
SELECT throws_ok(format($$INSERT INTO ledger.entries (transaction_id, wallet_id, amount) VALUES (%1$s, %2$s, -0.001), (%1$s, %3$s, 0.001)$$,
                        pg_temp.txn(), (SELECT id FROM w WHERE code = 'world'), (SELECT id FROM w WHERE code = 'alice')),
                 'LG003', NULL, 'too many decimals are refused for direct writes too');
SELECT throws_ok(format($$INSERT INTO ledger.entries (transaction_id, wallet_id, amount) VALUES (%1$s, %2$s, 'NaN')$$,
                        pg_temp.txn(), (SELECT id FROM w WHERE code = 'world')), 'LG002', NULL, 'NaN is refused for direct writes');
SELECT throws_ok(format($$INSERT INTO ledger.entries (transaction_id, wallet_id, currency, amount, bucket, bucket_seq, balance_after)
                          VALUES (%1$s, %2$s, 'USD', -1, 0, 1000, 999), (%1$s, %3$s, 'USD', 1, 0, 2, 999)$$,
                        pg_temp.txn(), (SELECT id FROM w WHERE code = 'world'), (SELECT id FROM w WHERE code = 'alice')),
                 'LG016', NULL, 'forged balance_after values are refused by the statement verifier');
-- (world has several buckets and the seed drew one at random: position 1 of bucket 0 may be taken, 1000 never is)
SELECT throws_ok(format($$INSERT INTO ledger.entries (transaction_id, wallet_id, currency, amount, bucket, bucket_seq, balance_after)
                          VALUES (%1$s, %2$s, 'USD', 1, 0, 2, 51), (%1$s, %3$s, 'USD', -1, 0, 2, -51)$$,
                        pg_temp.txn(), (SELECT id FROM w WHERE code = 'alice'), (SELECT id FROM w WHERE code = 'world')),
                 'LG016', NULL, 'a forged chain that looks right but never moved the stored balance is refused');
SELECT throws_ok(format($$INSERT INTO ledger.entries (transaction_id, wallet_id, amount) VALUES (%1$s, %2$s, -60), (%1$s, %3$s, 60)$$,
                        pg_temp.txn(), (SELECT id FROM w WHERE code = 'alice'), (SELECT id FROM w WHERE code = 'world')),
                 'LG010', NULL, 'a direct overdraft is refused');

-- stored balances change only through entries (invariant 6)
SELECT throws_ok($$UPDATE ledger.wallet_buckets SET balance = balance + 1$$, 'LG016', NULL, 'a stored balance cannot be written directly');
SELECT throws_ok($$UPDATE ledger.wallets SET currency = 'EUR' WHERE code = 'alice'$$, 'LG016', NULL, 'a wallet never changes currency');
SELECT throws_ok($$UPDATE ledger.wallets SET status = 'CLOSED' WHERE code = 'alice'$$, 'LG017', NULL, 'a wallet with money cannot close');

-- frozen and closed wallets (invariant 3)
UPDATE ledger.wallets SET status = 'FROZEN', freeze_mode = 'FULL' WHERE code = 'alice';
SELECT throws_ok($$SELECT ledger.post_transaction('f-1', 'TRANSFER', '[{"wallet":"world","amount":"-1.00"},{"wallet":"alice","amount":"1.00"}]')$$,
                 'LG008', NULL, 'a FROZEN (FULL) wallet takes no credit');
UPDATE ledger.wallets SET freeze_mode = 'DEBITS' WHERE code = 'alice';
SELECT lives_ok($$SELECT ledger.post_transaction('f-2', 'TRANSFER', '[{"wallet":"world","amount":"-1.00"},{"wallet":"alice","amount":"1.00"}]')$$,
                'a FROZEN (DEBITS) wallet still takes a credit');
SELECT throws_ok($$SELECT ledger.post_transaction('f-3', 'TRANSFER', '[{"wallet":"alice","amount":"-1.00"},{"wallet":"world","amount":"1.00"}]')$$,
                 'LG008', NULL, 'but no debit');
UPDATE ledger.wallets SET status = 'ACTIVE', freeze_mode = NULL WHERE code = 'alice';
SELECT lives_ok($$SELECT ledger.post_transaction('drain', 'TRANSFER', '[{"wallet":"alice","amount":"-51.00"},{"wallet":"world","amount":"51.00"}]')$$, 'alice is drained to zero');
UPDATE ledger.wallets SET status = 'CLOSED' WHERE code = 'alice';
SELECT throws_ok($$SELECT ledger.post_transaction('c-1', 'TRANSFER', '[{"wallet":"world","amount":"-1.00"},{"wallet":"alice","amount":"1.00"}]')$$,
                 'LG009', NULL, 'a CLOSED wallet takes no entry');

SELECT * FROM finish();
ROLLBACK;
