CREATE OR REPLACE FUNCTION ledger_private.post_legs(p_transactions bigint[], p_wallets bigint[], p_amounts numeric[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
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
        -- A debit of a multi-bucket wallet that may not go negative must see
        -- the whole balance: the entry trigger locks all its buckets, leg by
        -- leg, in wallet order like the fast path.
        INSERT INTO ledger.entries (transaction_id, wallet_id, amount)
        SELECT l.txn, l.wallet_id, l.amount FROM unnest(v_txn, v_wallet, v_amount) AS l (txn, wallet_id, amount)
         ORDER BY l.wallet_id, l.txn;
        RETURN;
    END IF;

    -- The fast path: lock the buckets in (wallet, bucket) order, the order
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
COMMENT ON FUNCTION ledger_private.post_legs(bigint[], bigint[], numeric[]) IS 'The posting engine, set-based for one leg or a million: merges legs per (transaction, wallet), locks the chosen balance buckets in wallet order, moves the stored balances and writes the entries with bucket_seq and balance_after in one statement; the statement trigger _150_verify re-checks every row. Debits of multi-bucket wallets that may not go negative take the per-row path (all buckets locked).';
