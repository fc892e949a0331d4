-- The benchmark's own schema, in a throwaway database: the bare baseline,
-- data builders and the scenario entry points pgbench calls.
CREATE SCHEMA IF NOT EXISTS bench;
CREATE SEQUENCE IF NOT EXISTS bench.txn;
CREATE SEQUENCE IF NOT EXISTS bench.orders;

-- The physical limit: entries of the same shape, no trigger, no constraint beyond a key.
CREATE TABLE IF NOT EXISTS bench.bare (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id bigint NOT NULL,
    wallet_id      bigint NOT NULL,
    currency       text NOT NULL,
    amount         numeric NOT NULL,
    bucket         smallint NOT NULL,
    bucket_seq     bigint NOT NULL,
    balance_after  numeric NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS bare_transaction_id ON bench.bare (transaction_id);

CREATE OR REPLACE FUNCTION bench.bare_posting() RETURNS void LANGUAGE sql AS $$
    INSERT INTO bench.bare (transaction_id, wallet_id, currency, amount, bucket, bucket_seq, balance_after)
    SELECT t.n, v.w, 'USD', v.a, 0, t.n, v.a
      FROM (SELECT nextval('bench.txn') AS n) AS t, (VALUES (1, -10.00), (2, 9.00), (3, 1.00)) AS v (w, a)
$$;

CREATE OR REPLACE FUNCTION bench.bare_bulk(p_transactions integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO bench.bare (transaction_id, wallet_id, currency, amount, bucket, bucket_seq, balance_after)
    SELECT g, v.w, 'USD', v.a, 0, g, v.a
      FROM generate_series(1, p_transactions) AS g, (VALUES (1, -10.00), (2, 9.00), (3, 1.00)) AS v (w, a)
$$;

CREATE OR REPLACE FUNCTION bench.prepare(p_payers integer, p_payees integer, p_currencies text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_cur text;
BEGIN
    PERFORM ledger.create_wallet('bench:world', 'EXTERNAL', 'USD', true);
    PERFORM ledger.create_wallet('p' || i, 'USER', 'USD') FROM generate_series(1, p_payers) AS i;
    PERFORM ledger.create_wallet('m' || i, 'MERCHANT', 'USD') FROM generate_series(1, p_payees) AS i;
    PERFORM ledger.post_transaction('bench:fund:' || w.code, 'TRANSFER',
                                    jsonb_build_array(jsonb_build_object('wallet', 'bench:world', 'amount', '-100000000'),
                                                      jsonb_build_object('wallet', w.code, 'amount', '100000000')))
       FROM ledger.wallets AS w WHERE w.code ~ '^[pm][0-9]+$';
    FOREACH v_cur IN ARRAY p_currencies LOOP
        INSERT INTO ledger.currencies (code, minor_units, name) VALUES (v_cur, 2, 'bench ' || v_cur) ON CONFLICT DO NOTHING;
        PERFORM ledger.create_wallet('bench:world:' || v_cur, 'EXTERNAL', v_cur, true);
        PERFORM ledger.create_wallet(format('%s:%s:%s', r, v_cur, i), CASE r WHEN 'p' THEN 'USER' ELSE 'MERCHANT' END, v_cur)
           FROM generate_series(1, 64) AS i, unnest(ARRAY['p', 'm']) AS r;
        PERFORM ledger.post_transaction(format('bench:fund:%s:%s', v_cur, i), 'TRANSFER',
                    jsonb_build_array(jsonb_build_object('wallet', 'bench:world:' || v_cur, 'amount', '-100000000'),
                                      jsonb_build_object('wallet', format('p:%s:%s', v_cur, i), 'amount', '100000000')))
           FROM generate_series(1, 64) AS i;
        PERFORM ledger_private.system_wallet('PLATFORM_MAIN', v_cur);
    END LOOP;
    INSERT INTO bench.floor_buckets SELECT * FROM ledger.wallet_buckets ON CONFLICT DO NOTHING;  -- the floor's balances
END
$$;

-- INITIATED payments to capture, set-based (the owner may insert INITIATED rows).
CREATE OR REPLACE FUNCTION bench.payments(p_count integer, p_spread boolean) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_first bigint := nextval('ledger.payments_id_seq');
BEGIN
    IF p_spread THEN
        INSERT INTO ledger.payments (idempotency_key, order_ref, payer_wallet_id, payee_wallet_id, currency, amount, platform_fee, method)
        SELECT 'bench:' || g, 'bench:' || g, p.id, m.id, c.code, 10.00, 1.00, 'PREPAID'
          FROM generate_series(1, p_count) AS g
          JOIN LATERAL (SELECT code FROM ledger.currencies WHERE code LIKE 'Q%' ORDER BY code
                         OFFSET g % 16 LIMIT 1) AS c ON true
          JOIN ledger.wallets AS p ON p.code = format('p:%s:%s', c.code, 1 + g % 64)
          JOIN ledger.wallets AS m ON m.code = format('m:%s:%s', c.code, 1 + (g / 64) % 64);
    ELSE
        INSERT INTO ledger.payments (idempotency_key, order_ref, payer_wallet_id, payee_wallet_id, currency, amount, platform_fee, method)
        SELECT 'bench:' || g, 'bench:' || g, p.id, m.id, 'USD', 10.00, 1.00, 'PREPAID'
          FROM generate_series(1, p_count) AS g
          JOIN ledger.wallets AS p ON p.code = 'p' || (1 + g % 1000)
          JOIN ledger.wallets AS m ON m.code = 'm' || (1 + (g / 1000 + g) % 1000);
    END IF;
    RETURN v_first + 1;
END
$$;

CREATE OR REPLACE FUNCTION bench.post3(p_client integer, p_payer integer, p_payee integer) RETURNS bigint LANGUAGE sql AS $$
    SELECT ledger.post_transaction(format('bench:%s:%s', p_client, nextval('bench.txn')), 'TRANSFER',
        jsonb_build_array(jsonb_build_object('wallet', 'p' || p_payer, 'amount', '-10.00'),
                          jsonb_build_object('wallet', 'm' || p_payee, 'amount', '9.00'),
                          jsonb_build_object('wallet', 'PLATFORM_MAIN', 'amount', '1.00')))
$$;

-- The bulk loader is the client (bench.py, bulk_batches and post_batches):
-- it sends JSON text, as an application does. A procedure that built each
-- batch with jsonb_build_object spent 1.45 s of a 100k run building input.
DROP ROUTINE IF EXISTS bench.bulk(integer, integer);

-- A calibration, not a baseline: the naive single-function design the issue
-- cites. A header with its idempotency key, three entries and three balance
-- UPDATEs in one PL/pgSQL function, nothing else: no validation, no buckets,
-- no chain, no triggers. It shows what the guards cost on this machine.
CREATE TABLE IF NOT EXISTS bench.naive_wallets (id integer PRIMARY KEY, balance numeric NOT NULL) WITH (fillfactor = 50);
INSERT INTO bench.naive_wallets SELECT g, 1000000 FROM generate_series(0, 2000) AS g ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS bench.naive_transactions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, idempotency_key text UNIQUE, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS bench.naive_entries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, transaction_id bigint NOT NULL, wallet_id integer NOT NULL,
    amount numeric NOT NULL, balance_after numeric NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS naive_entries_transaction_id ON bench.naive_entries (transaction_id);

CREATE OR REPLACE FUNCTION bench.naive_post(p_key text, p_payer integer, p_payee integer, p_fee_wallet integer)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_txn bigint;
    v_leg record;
BEGIN
    INSERT INTO bench.naive_transactions (idempotency_key) VALUES (p_key) RETURNING id INTO v_txn;
    FOR v_leg IN SELECT * FROM (VALUES (p_payer, -10.00), (p_payee, 9.00), (p_fee_wallet, 1.00)) AS l (wallet, amount)
                  ORDER BY l.wallet LOOP
        WITH moved AS (UPDATE bench.naive_wallets SET balance = balance + v_leg.amount WHERE id = v_leg.wallet RETURNING balance)
        INSERT INTO bench.naive_entries (transaction_id, wallet_id, amount, balance_after)
        SELECT v_txn, v_leg.wallet, v_leg.amount, moved.balance FROM moved;
    END LOOP;
    RETURN v_txn;
END
$$;

-- A calibration, not a baseline: the floor of the data model. The rows a
-- guarded 3-leg posting reads and writes, and nothing else: the three wallets
-- found by code, an idempotency key, a header, three balance buckets (the fee
-- to a random one of PLATFORM_MAIN's) and three entries with their position
-- and balance after. The tables are made LIKE the ledger's (the same columns,
-- defaults, CHECKs and indexes; no trigger, no foreign key). No validation, no
-- fingerprint, no refusal: no guarded posting can be faster on this machine.
CREATE TABLE IF NOT EXISTS bench.floor_keys (LIKE ledger.idempotency_keys INCLUDING ALL);
CREATE TABLE IF NOT EXISTS bench.floor_transactions (LIKE ledger.transactions INCLUDING ALL);
CREATE TABLE IF NOT EXISTS bench.floor_buckets (LIKE ledger.wallet_buckets INCLUDING ALL) WITH (fillfactor = 50);
CREATE TABLE IF NOT EXISTS bench.floor_entries (LIKE ledger.entries INCLUDING ALL);

CREATE OR REPLACE FUNCTION bench.floor_post(p_key text, p_payer integer, p_payee integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_txn   bigint;
    v_fee   bigint;
    v_from  bigint;
    v_to    bigint;
    v_fee_bucket smallint;
    v_seq   bigint[] := '{}';
    v_after numeric[] := '{}';
BEGIN
    SELECT f.id, floor(random() * f.bucket_count), p.id, m.id INTO v_fee, v_fee_bucket, v_from, v_to
      FROM ledger.wallets AS f, ledger.wallets AS p, ledger.wallets AS m
     WHERE f.code = 'PLATFORM_MAIN' AND p.code = 'p' || p_payer AND m.code = 'm' || p_payee;
    INSERT INTO bench.floor_transactions (kind, idempotency_key) VALUES ('TRANSFER', p_key) RETURNING id INTO v_txn;
    INSERT INTO bench.floor_keys (idempotency_key, operation, request_fingerprint, result_id)
    VALUES (p_key, 'ledger.post_transaction', '\x00', v_txn) ON CONFLICT (idempotency_key) DO NOTHING;
    -- In wallet id order (PLATFORM_MAIN, then payers, then payees), as the engine locks.
    UPDATE bench.floor_buckets SET balance = balance + 1.00, entry_count = entry_count + 1
     WHERE wallet_id = v_fee AND bucket = v_fee_bucket RETURNING v_seq || entry_count, v_after || balance INTO v_seq, v_after;
    UPDATE bench.floor_buckets SET balance = balance - 10.00, entry_count = entry_count + 1
     WHERE wallet_id = v_from AND bucket = 0 RETURNING v_seq || entry_count, v_after || balance INTO v_seq, v_after;
    UPDATE bench.floor_buckets SET balance = balance + 9.00, entry_count = entry_count + 1
     WHERE wallet_id = v_to AND bucket = 0 RETURNING v_seq || entry_count, v_after || balance INTO v_seq, v_after;
    INSERT INTO bench.floor_entries (transaction_id, wallet_id, currency, amount, bucket, bucket_seq, balance_after)
    VALUES (v_txn, v_fee, 'USD', 1.00, v_fee_bucket, v_seq[1], v_after[1]),
           (v_txn, v_from, 'USD', -10.00, 0, v_seq[2], v_after[2]),
           (v_txn, v_to, 'USD', 9.00, 0, v_seq[3], v_after[3]);
    RETURN v_txn;
END
$$;

-- The floor of the bulk scenario: the rows of p_transactions 3-leg transfers
-- (those the bulk scenario posts), written set-based into the floor's tables: keys,
-- headers, one UPDATE per balance bucket (a hot wallet's the bucket of this
-- database transaction, as the engine picks it), the entries with their
-- position and balance after. No JSON, no validation, no fingerprint, no
-- refusal.
CREATE OR REPLACE FUNCTION bench.floor_bulk(p_transactions integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_first bigint := nextval(pg_get_serial_sequence('bench.floor_transactions', 'id'));
BEGIN
    PERFORM setval(pg_get_serial_sequence('bench.floor_transactions', 'id'), v_first + p_transactions);
    INSERT INTO bench.floor_keys (idempotency_key, operation, request_fingerprint, result_id)
    SELECT 'floor-bulk:' || (v_first + g), 'ledger.post_transaction', '\x00', v_first + g
      FROM generate_series(0, p_transactions - 1) AS g;
    INSERT INTO bench.floor_transactions (id, kind, idempotency_key)
    OVERRIDING SYSTEM VALUE
    SELECT v_first + g, 'TRANSFER', 'floor-bulk:' || (v_first + g) FROM generate_series(0, p_transactions - 1) AS g;
    WITH legs AS MATERIALIZED (
        SELECT v_first + g AS txn, w.id AS wallet_id, l.amount,
               CASE WHEN w.bucket_count = 1 THEN 0 ELSE ledger_private.transaction_bucket(w.id, w.bucket_count) END AS bucket
          FROM generate_series(0, p_transactions - 1) AS g
         CROSS JOIN LATERAL (VALUES ('p' || (1 + g % 1000), -10.00), ('m' || (1 + (g / 7) % 1000), 9.00),
                                    ('PLATFORM_MAIN', 1.00)) AS l (code, amount)
          JOIN ledger.wallets AS w ON w.code = l.code
    ), moved AS (
        UPDATE bench.floor_buckets AS b
           SET balance = b.balance + p.delta, entry_count = b.entry_count + p.n
          FROM (SELECT l.wallet_id, l.bucket, sum(l.amount) AS delta, count(*) AS n
                  FROM legs AS l GROUP BY l.wallet_id, l.bucket) AS p
         WHERE b.wallet_id = p.wallet_id AND b.bucket = p.bucket
        RETURNING b.wallet_id, b.bucket, b.balance - p.delta AS balance_before, b.entry_count - p.n AS seq_before
    )
    INSERT INTO bench.floor_entries (transaction_id, wallet_id, currency, amount, bucket, bucket_seq, balance_after)
    SELECT l.txn, l.wallet_id, 'USD', l.amount, l.bucket, m.seq_before + row_number() OVER chain,
           m.balance_before + sum(l.amount) OVER (chain ROWS UNBOUNDED PRECEDING)
      FROM legs AS l JOIN moved AS m ON m.wallet_id = l.wallet_id AND m.bucket = l.bucket
    WINDOW chain AS (PARTITION BY l.wallet_id, l.bucket ORDER BY l.txn)
     ORDER BY l.txn, l.wallet_id;
END
$$;

-- The same payout_once without its advisory lock, to price the lock (the
-- lock as revisions since 0020 take it, and as 0019 and before took it).
DO $$
DECLARE
    v_locked   text := pg_get_functiondef('ledger.payout_once(text, text, numeric, text)'::regprocedure);
    v_unlocked text := replace(replace(v_locked, 'PERFORM pg_advisory_xact_lock(v_lock_key);', ''),
                               'PERFORM pg_advisory_xact_lock(1279721473, v_lock_key);', '');
BEGIN
    IF v_unlocked = v_locked THEN
        RAISE EXCEPTION 'bench: payout_once takes its lock in a way this setup does not know';
    END IF;
    EXECUTE replace(v_unlocked, 'ledger.payout_once(', 'bench.payout_once_nolock(');
END
$$;

-- A consistent ledger of p_entries entries on 2,000 wallets of its own, spread
-- over 30 days, written set-based with the triggers off (balance chains and
-- stored balances computed, so every check stays quiet).
CREATE OR REPLACE FUNCTION bench.generate_ledger(p_entries bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_txns   bigint := p_entries / 3;
    v_first  bigint;
    v_wallet bigint;
BEGIN
    PERFORM ledger.create_wallet('gen:' || i, 'USER', 'USD', true) FROM generate_series(1, 2000) AS i;
    SELECT min(id) INTO v_wallet FROM ledger.wallets WHERE code LIKE 'gen:%';
    SET LOCAL session_replication_role = replica;
    v_first := nextval('ledger.transactions_id_seq');
    PERFORM setval('ledger.transactions_id_seq', v_first + v_txns);
    INSERT INTO ledger.transactions (id, kind, reference, created_at)
    OVERRIDING SYSTEM VALUE
    SELECT v_first + g, 'TRANSFER', 'gen:' || g, now() - interval '30 days' * (1 - g::float8 / v_txns)
      FROM generate_series(0, v_txns - 1) AS g;
    INSERT INTO ledger.entries (transaction_id, wallet_id, currency, amount, bucket, bucket_seq, balance_after, created_at)
    SELECT l.txn, l.wallet, 'USD', l.amount, 0,
           row_number() OVER w,
           sum(l.amount) OVER (w ROWS UNBOUNDED PRECEDING),
           l.created_at
      FROM (SELECT v_first + g AS txn, v_wallet + (g * 7 + leg * 13) % 2000 AS wallet,
                   CASE leg WHEN 0 THEN -10.00 WHEN 1 THEN 9.00 ELSE 1.00 END AS amount,
                   now() - interval '30 days' * (1 - g::float8 / v_txns) AS created_at
              FROM generate_series(0, v_txns - 1) AS g, generate_series(0, 2) AS leg) AS l
    WINDOW w AS (PARTITION BY l.wallet ORDER BY l.txn)
     ORDER BY l.txn, l.wallet;  -- stored in posting order, as a live ledger's are (BRIN on created_at works)
    UPDATE ledger.wallet_buckets AS b SET balance = s.balance, entry_count = s.n
      FROM (SELECT wallet_id, sum(amount) AS balance, count(*) AS n FROM ledger.entries
             WHERE wallet_id BETWEEN v_wallet AND v_wallet + 1999 GROUP BY wallet_id) AS s
     WHERE b.wallet_id = s.wallet_id;
END
$$;

-- A 3-leg posting between two generated wallets, the fee to PLATFORM_MAIN (the checks scenarios).
CREATE OR REPLACE FUNCTION bench.post_generated(p_client integer, p_from integer, p_to integer) RETURNS bigint LANGUAGE sql AS $$
    SELECT ledger.post_transaction(format('gen-post:%s:%s', p_client, nextval('bench.txn')), 'TRANSFER',
        jsonb_build_array(jsonb_build_object('wallet', 'gen:' || p_from, 'amount', '-10.00'),
                          jsonb_build_object('wallet', 'gen:' || CASE WHEN p_to = p_from THEN p_to % 2000 + 1 ELSE p_to END,
                                             'amount', '9.00'),
                          jsonb_build_object('wallet', 'PLATFORM_MAIN', 'amount', '1.00')))
$$;

-- p_count new postings in one transaction: what an incremental check run finds new.
CREATE OR REPLACE FUNCTION bench.post_new(p_count integer) RETURNS void LANGUAGE sql AS $$
    SELECT count(bench.post_generated(0, g % 2000 + 1, (g * 7) % 2000 + 1)) FROM generate_series(1, p_count) AS g
$$;
