CREATE OR REPLACE FUNCTION ledger_private.post_legs(
    p_transactions bigint[], p_wallets bigint[], p_amounts numeric[], p_set_based boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql
VOLATILE
-- Its statements take arrays of a size only known at run time: custom plans
-- would be re-planned on every call; the generic plan fits every size.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_txn      bigint[];
    v_wallet   bigint[];
    v_amount   numeric[];
    v_bucket   smallint[];
    v_currency text[];
    v_slow     boolean;
    v_found    integer;
    v_legs     integer;
BEGIN
    IF NOT p_set_based THEN
        -- Row by row: the entry trigger validates and applies each leg (legs
        -- of one wallet merged, zero legs dropped), in wallet order like the
        -- set-based path. Cheapest for a handful of legs. Every row passes
        -- the row trigger in this mode, so _150_verify skips it.
        PERFORM set_config('ledger.posting', 'rows', true);
        INSERT INTO ledger.entries (transaction_id, wallet_id, amount)
        SELECT g.txn, g.wallet_id, sum(g.amount)
          FROM unnest(p_transactions, p_wallets, p_amounts) AS g (txn, wallet_id, amount)
         GROUP BY g.txn, g.wallet_id HAVING sum(g.amount) <> 0
         ORDER BY g.wallet_id, g.txn;
        PERFORM set_config('ledger.posting', '', true);
        RETURN;
    END IF;
    -- Legs of one wallet within a transaction are merged and zero legs
    -- dropped; each leg gets its bucket (random for a hot wallet's credit).
    SELECT array_agg(l.txn ORDER BY l.txn, l.wallet_id), array_agg(l.wallet_id ORDER BY l.txn, l.wallet_id),
           array_agg(l.amount ORDER BY l.txn, l.wallet_id),
           array_agg(CASE WHEN w.bucket_count = 1 THEN 0 ELSE floor(random() * w.bucket_count) END::smallint
                     ORDER BY l.txn, l.wallet_id),
           array_agg(w.currency ORDER BY l.txn, l.wallet_id),
           coalesce(bool_or(NOT w.allow_negative AND w.bucket_count > 1 AND l.amount < 0), false),
           count(w.id), count(*)
      INTO v_txn, v_wallet, v_amount, v_bucket, v_currency, v_slow, v_found, v_legs
      FROM (SELECT g.txn, g.wallet_id, sum(g.amount) AS amount
              FROM unnest(p_transactions, p_wallets, p_amounts) AS g (txn, wallet_id, amount)
             GROUP BY g.txn, g.wallet_id HAVING sum(g.amount) <> 0) AS l
      LEFT JOIN ledger.wallets AS w ON w.id = l.wallet_id;
    IF v_found < v_legs THEN
        RAISE EXCEPTION 'a leg names a wallet id that does not exist'
            USING ERRCODE = 'LG006', DETAIL = format('Wallet ids %s were posted to.', p_wallets),
                  HINT = 'Post through the API, which resolves wallet codes.';
    END IF;
    IF v_legs = 0 THEN
        RETURN;
    END IF;

    IF v_slow THEN
        -- A debit of a multi-bucket wallet that may not go negative must
        -- lock and see all its buckets: the whole batch goes row by row.
        PERFORM set_config('ledger.posting', 'rows', true);
        INSERT INTO ledger.entries (transaction_id, wallet_id, amount)
        SELECT l.txn, l.wallet_id, l.amount FROM unnest(v_txn, v_wallet, v_amount) AS l (txn, wallet_id, amount)
         ORDER BY l.wallet_id, l.txn;
        PERFORM set_config('ledger.posting', '', true);
        RETURN;
    END IF;

    -- Set-based, for batches: lock the buckets in (wallet, bucket) order, the order
    -- every posting uses (no deadlock); then one statement moves the stored
    -- balances and writes the entries with their position and balance after.
    PERFORM FROM ledger.wallet_buckets AS b
      JOIN (SELECT DISTINCT l.wallet_id, l.bucket FROM unnest(v_wallet, v_bucket) AS l (wallet_id, bucket)) AS l
        ON b.wallet_id = l.wallet_id AND b.bucket = l.bucket
     ORDER BY b.wallet_id, b.bucket
       FOR UPDATE OF b;
    PERFORM set_config('ledger.posting', 'on', true);
    WITH legs AS (
        SELECT * FROM unnest(v_txn, v_wallet, v_amount, v_bucket, v_currency) AS l (txn, wallet_id, amount, bucket, currency)
    ), per_bucket AS (
        SELECT l.wallet_id, l.bucket, sum(l.amount) AS delta, count(*) AS n FROM legs AS l GROUP BY l.wallet_id, l.bucket
    ), moved AS (
        UPDATE ledger.wallet_buckets AS b
           SET balance = b.balance + p.delta, entry_count = b.entry_count + p.n
          FROM per_bucket AS p
         WHERE b.wallet_id = p.wallet_id AND b.bucket = p.bucket
        RETURNING b.wallet_id, b.bucket, b.balance - p.delta AS balance_before, b.entry_count - p.n AS seq_before
    )
    INSERT INTO ledger.entries (transaction_id, wallet_id, currency, amount, bucket, bucket_seq, balance_after)
    SELECT l.txn, l.wallet_id, l.currency, l.amount, l.bucket,
           m.seq_before + row_number() OVER chain,
           m.balance_before + sum(l.amount) OVER (chain ROWS UNBOUNDED PRECEDING)
      FROM legs AS l JOIN moved AS m ON m.wallet_id = l.wallet_id AND m.bucket = l.bucket
    WINDOW chain AS (PARTITION BY l.wallet_id, l.bucket ORDER BY l.txn)
     ORDER BY l.txn, l.wallet_id;
    PERFORM set_config('ledger.posting', '', true);
END
$$;
COMMENT ON FUNCTION ledger_private.post_legs(bigint[], bigint[], numeric[], boolean) IS 'The posting engine: merges legs per (transaction, wallet); row by row through the entry trigger (p_set_based false, or a debit of a multi-bucket wallet that may not go negative), or set-based for batches: locks the chosen balance buckets in wallet order, moves the stored balances and writes the entries with bucket_seq and balance_after in one statement, re-checked by the statement trigger _150_verify.';
