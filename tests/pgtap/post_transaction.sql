-- ledger.post_transaction as the application calls it (role ledger_app).
BEGIN;
SET ROLE ledger_app;
SELECT plan(27);

SELECT lives_ok($$SELECT ledger.create_wallet('world', 'EXTERNAL', 'USD', true)$$, 'an external funding wallet');
SELECT lives_ok($$SELECT ledger.create_wallet('alice', 'USER', 'USD')$$, 'a user wallet');
SELECT lives_ok($$SELECT ledger.create_wallet('bob', 'USER', 'USD')$$, 'another user wallet');
SELECT ledger.create_wallet('eur:carol', 'USER', 'EUR');
SELECT ledger.create_wallet('bhd:dana', 'USER', 'BHD', true);
SELECT ledger.create_wallet('jpy:erin', 'USER', 'JPY', true);
SELECT ledger.create_wallet('bhd:world', 'EXTERNAL', 'BHD', true);
SELECT ledger.create_wallet('jpy:world', 'EXTERNAL', 'JPY', true);

SELECT isnt(ledger.post_transaction('fund-1', 'TRANSFER', '[{"wallet":"world","amount":"-100.00"},{"wallet":"alice","amount":"100.00"}]'), NULL, 'a balanced posting returns an id');
SELECT is(ledger.wallet_balance('alice'), 100.00, 'alice is credited');
SELECT is(ledger.wallet_balance('world'), -100.00, 'the funding wallet is debited');

-- idempotency (invariant 11)
SELECT is(ledger.post_transaction('fund-1', 'TRANSFER', '[{"wallet":"alice","amount":"100"},{"wallet":"world","amount":"-100"}]'),
          (SELECT ledger.post_transaction('fund-1', 'TRANSFER', '[{"wallet":"world","amount":"-100.00"},{"wallet":"alice","amount":"100.00"}]')),
          'the same key and request (legs in any order, 100 = 100.00) return the same id');
SELECT is(ledger.wallet_balance('alice'), 100.00, 'and write nothing');
SELECT throws_ok($$SELECT ledger.post_transaction('fund-1', 'TRANSFER', '[{"wallet":"world","amount":"-101.00"},{"wallet":"alice","amount":"101.00"}]')$$,
                 'LG013', NULL, 'the same key with another request is refused');

-- amounts (invariant 4)
SELECT throws_ok($$SELECT ledger.post_transaction('p-1', 'TRANSFER', '[{"wallet":"alice","amount":"-10.005"},{"wallet":"bob","amount":"10.005"}]')$$, 'LG003', NULL, '10.005 USD is refused, not rounded');
SELECT throws_ok($$SELECT ledger.post_transaction('p-2', 'TRANSFER', '[{"wallet":"jpy:world","amount":"-1.5"},{"wallet":"jpy:erin","amount":"1.5"}]')$$, 'LG003', NULL, '1.5 JPY is refused');
SELECT lives_ok($$SELECT ledger.post_transaction('p-3', 'TRANSFER', '[{"wallet":"bhd:world","amount":"-1.005"},{"wallet":"bhd:dana","amount":"1.005"}]')$$, '1.005 BHD is accepted');
SELECT is(ledger.wallet_balance('bhd:dana'), 1.005, 'with all three decimals');
SELECT throws_ok($$SELECT ledger.post_transaction('p-4', 'TRANSFER', '[{"wallet":"alice","amount":"NaN"},{"wallet":"bob","amount":"1"}]')$$, 'LG002', NULL, 'NaN is refused');
SELECT throws_ok($$SELECT ledger.post_transaction('p-5', 'TRANSFER', '[{"wallet":"alice","amount":"-Infinity"},{"wallet":"bob","amount":"Infinity"}]')$$, 'LG002', NULL, 'Infinity is refused');
SELECT throws_ok($$SELECT ledger.post_transaction('p-6', 'TRANSFER', '[{"wallet":"alice","amount":"0"},{"wallet":"bob","amount":"0"}]')$$, 'LG002', NULL, 'a zero leg is refused');
SELECT throws_ok($$SELECT ledger.post_transaction('p-7', 'TRANSFER', '[{"wallet":"alice","amount":"-1e3"},{"wallet":"bob","amount":"1e3"}]')$$, 'LG002', NULL, 'an exponent is refused');

-- zero sum per currency (invariant 1)
SELECT throws_ok($$SELECT ledger.post_transaction('p-8', 'TRANSFER', '[{"wallet":"alice","amount":"-10.00"},{"wallet":"bob","amount":"9.00"}]')$$, 'LG011', NULL, 'legs that do not sum to zero are refused');
SELECT throws_ok($$SELECT ledger.post_transaction('p-9', 'TRANSFER', '[{"wallet":"alice","amount":"-10.00"},{"wallet":"eur:carol","amount":"10.00"}]')$$, 'LG011', NULL, 'a USD/EUR pair that sums to zero overall is refused');

-- overdraft (invariant 5)
SELECT throws_ok($$SELECT ledger.post_transaction('p-10', 'TRANSFER', '[{"wallet":"alice","amount":"-100.01"},{"wallet":"bob","amount":"100.01"}]')$$, 'LG010', NULL, 'alice cannot go below zero');

-- malformed requests
SELECT throws_ok($$SELECT ledger.post_transaction('p-11', 'TRANSFER', '[{"wallet":"alice","amount":"-1"}]')$$, 'LG014', NULL, 'one leg is not a transaction');
SELECT throws_ok($$SELECT ledger.post_transaction('p-12', 'TRANSFER', '{"wallet":"alice"}')$$, 'LG014', NULL, 'legs must be an array');
SELECT throws_ok($$SELECT ledger.post_transaction('p-13', 'TRANSFER', '[{"wallet":"alice","amount":"-1","memo":"x"},{"wallet":"bob","amount":"1"}]')$$, 'LG014', NULL, 'a leg has exactly wallet and amount');
SELECT throws_ok($$SELECT ledger.post_transaction('p-14', 'TRANSFER', '[{"wallet":"nobody","amount":"-1"},{"wallet":"bob","amount":"1"}]')$$, 'LG006', NULL, 'an unknown wallet is refused');
SELECT throws_ok($$SELECT ledger.post_transaction('p-15', 'PAYMENT_CAPTURE', '[{"wallet":"alice","amount":"-1"},{"wallet":"bob","amount":"1"}]')$$, 'LG015', NULL, 'only TRANSFER is posted here');
SELECT throws_ok($$SELECT ledger.post_transaction(NULL, 'TRANSFER', '[]')$$, 'LG001', NULL, 'a NULL key is an error, not a NULL result');

SELECT is((SELECT sum(entry_count)::int FROM ledger.wallet_balances WHERE code IN ('alice', 'bob')), 1, 'nothing refused was written: alice has one entry, bob none');

SELECT * FROM finish();
ROLLBACK;
