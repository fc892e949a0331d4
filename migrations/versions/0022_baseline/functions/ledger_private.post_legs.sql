CREATE OR REPLACE FUNCTION ledger_private.post_legs(p_transactions bigint[], p_wallets bigint[], p_amounts numeric[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
-- Planned for each call (custom plans): a batch's size is only known then,
-- and a generic plan that guessed it wrong joins batches quadratically.
AS $$
DECLARE
    v_txn        bigint[];
    v_wallet     bigint[];
    v_amount     numeric[];
    v_bucket     smallint[];
    v_currency   text[];
    v_overdraft  boolean[];
    v_whole      boolean;
    v_unbalanced boolean;
    v_doubt      boolean;
    v_found      integer;
    v_legs       integer;
    v            record;
BEGIN
    -- A batch is written set-based. One transaction goes through the engine
    -- every API's posting uses (cheaper for a handful of legs). A batch that
    -- debits a multi-bucket wallet that may not go negative goes row by row:
    -- the entry trigger sees the whole balance of each debit.
    IF p_transactions[1] = ALL (p_transactions) THEN
        PERFORM ledger_private.post_one_transaction(p_transactions[1], p_wallets, p_amounts);
        RETURN;
    END IF;
    -- Legs of one wallet within a transaction are merged and zero legs
    -- dropped; each leg gets its bucket as ledger_private.move_bucket picks
    -- it: bucket 0 for a debit that may not overdraw, otherwise the one bucket
    -- of this database transaction.
    -- Every transaction must sum to zero per currency: the engine writes all
    -- legs of its transactions, so it proves the zero sum here, once. The
    -- arrays are aligned (one aggregate over one stream of rows) and in no
    -- particular order: each statement below orders what it needs (an ORDER
    -- BY per array sorted all legs six times).
    SELECT array_agg(l.txn), array_agg(l.wallet_id), array_agg(l.amount),
           array_agg(CASE WHEN l.bucket_count = 1 OR (l.amount < 0 AND NOT l.allow_negative) THEN 0
                          ELSE ledger_private.transaction_bucket(l.wallet_id, l.bucket_count) END),
           array_agg(l.currency), array_agg(l.allow_negative),
           coalesce(bool_or(NOT l.allow_negative AND l.bucket_count > 1 AND l.amount < 0), false),
           coalesce(bool_or(l.txn_total <> 0), false), count(l.currency), count(*)
      INTO v_txn, v_wallet, v_amount, v_bucket, v_currency, v_overdraft, v_whole, v_unbalanced, v_found, v_legs
      FROM (SELECT g.txn, g.wallet_id, g.amount, w.currency, w.bucket_count, w.allow_negative,
                   sum(g.amount) OVER (PARTITION BY g.txn, w.currency) AS txn_total
              FROM (SELECT u.txn, u.wallet_id, sum(u.amount) AS amount
                      FROM unnest(p_transactions, p_wallets, p_amounts) AS u (txn, wallet_id, amount)
                     GROUP BY u.txn, u.wallet_id HAVING sum(u.amount) <> 0) AS g
              LEFT JOIN ledger.wallets AS w ON w.id = g.wallet_id) AS l;
    IF v_found < v_legs THEN
        RAISE EXCEPTION 'a leg names a wallet id that does not exist'
            USING ERRCODE = 'LG006', DETAIL = format('Wallet ids %s were posted to.', p_wallets),
                  HINT = 'Post through the API, which resolves wallet codes.';
    END IF;
    IF v_unbalanced THEN
        SELECT u.txn, string_agg(format('%s %s', u.currency, u.total), ', ' ORDER BY u.currency) AS sums INTO v
          FROM (SELECT l.txn, l.currency, sum(l.amount) AS total FROM unnest(v_txn, v_currency, v_amount) AS l (txn, currency, amount)
                 GROUP BY l.txn, l.currency HAVING sum(l.amount) <> 0) AS u
         GROUP BY u.txn ORDER BY u.txn LIMIT 1;
        RAISE EXCEPTION 'ledger transaction % does not sum to zero: %', v.txn, v.sums
            USING ERRCODE = 'LG011',
                  DETAIL = format('Per currency, the legs of transaction %s sum to %s; each currency must sum to zero.', v.txn, v.sums),
                  HINT = 'Add the missing leg, or fix the amounts; different currencies never offset each other.';
    END IF;
    IF v_legs = 0 THEN
        RETURN;
    END IF;

    -- Lock the buckets the legs move, and no other, in (wallet, bucket)
    -- order, the order every posting uses: no deadlock, and the rows below
    -- wait for nothing (in wallet order alone, a credit row of the
    -- transaction's bucket k and a later debit row of bucket 0 would lock one
    -- wallet's buckets out of order: tests/test_batch.py).
    PERFORM FROM ledger.wallet_buckets AS b
      JOIN (SELECT DISTINCT l.wallet_id, l.bucket FROM unnest(v_wallet, v_bucket) AS l (wallet_id, bucket)) AS l
        ON b.wallet_id = l.wallet_id AND b.bucket = l.bucket
     ORDER BY b.wallet_id, b.bucket
       FOR UPDATE OF b;

    IF v_whole THEN
        -- Row by row: legs of one wallet merged, zero legs dropped, in wallet id
        -- order; the entry trigger checks each debit against the whole balance
        -- and the deferred trigger the zero sum at COMMIT.
        INSERT INTO ledger.entries (transaction_id, wallet_id, amount)
        SELECT l.txn, l.wallet_id, sum(l.amount)
          FROM unnest(p_transactions, p_wallets, p_amounts) AS l (txn, wallet_id, amount)
         GROUP BY l.txn, l.wallet_id HAVING sum(l.amount) <> 0
         ORDER BY l.wallet_id, l.txn;
        RETURN;
    END IF;

    -- Before anything is written: the first entry its wallet refuses, from
    -- the state on the bucket rows just locked (a freeze that committed
    -- first is seen), with the balance each entry would leave. A cheap proof
    -- comes first: when no bucket would refuse its most negative leg with
    -- all its debits applied before any credit, no entry is refused, and the
    -- chain of every leg (a sort of the whole batch) is not needed.
    SELECT bool_or(ledger_private.entry_refusal(b.status, b.freeze_mode, b.frozen_until, l.may_go_negative,
                                                l.lowest, b.balance + l.debits) IS NOT NULL)
      INTO v_doubt
      FROM (SELECT u.wallet_id, u.bucket, bool_and(u.may_go_negative) AS may_go_negative, min(u.amount) AS lowest,
                   coalesce(sum(u.amount) FILTER (WHERE u.amount < 0), 0) AS debits
              FROM unnest(v_wallet, v_bucket, v_amount, v_overdraft) AS u (wallet_id, bucket, amount, may_go_negative)
             GROUP BY u.wallet_id, u.bucket) AS l
      JOIN ledger.wallet_buckets AS b ON b.wallet_id = l.wallet_id AND b.bucket = l.bucket;
    IF v_doubt THEN
        SELECT r.* INTO v
          FROM (SELECT c.*, ledger_private.entry_refusal(c.status, c.freeze_mode, c.frozen_until, c.may_go_negative,
                                                         c.amount, c.balance_after) AS problem
                  FROM (SELECT l.txn, l.wallet_id, l.amount, l.may_go_negative, b.status, b.freeze_mode, b.frozen_until,
                               b.balance + sum(l.amount) OVER chain AS balance_after
                          FROM unnest(v_txn, v_wallet, v_amount, v_bucket, v_overdraft)
                               AS l (txn, wallet_id, amount, bucket, may_go_negative)
                          JOIN ledger.wallet_buckets AS b ON b.wallet_id = l.wallet_id AND b.bucket = l.bucket
                        WINDOW chain AS (PARTITION BY l.wallet_id, l.bucket ORDER BY l.txn ROWS UNBOUNDED PRECEDING)) AS c) AS r
         WHERE r.problem IS NOT NULL
         ORDER BY r.txn, r.wallet_id
         LIMIT 1;
        IF v.problem IS NOT NULL THEN
            PERFORM ledger_private.refuse_entry(v.problem, v.wallet_id, v.txn, v.amount, v.freeze_mode, v.balance_after);
        END IF;
    END IF;

    -- One statement moves the stored balances and writes the entries with
    -- their position and balance after. The statement verifier (_150_verify)
    -- proves every row again and the bucket guard every moved bucket, at the
    -- end of this statement: the engine's rows meet every guard.
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
END
$$;
COMMENT ON FUNCTION ledger_private.post_legs(bigint[], bigint[], numeric[]) IS 'The posting engine of batches. One transaction goes through ledger_private.post_one_transaction, like every API''s posting. A batch: merges legs per (transaction, wallet), proves each transaction sums to zero per currency (LG011), locks the chosen balance buckets in wallet order and refuses FROZEN and CLOSED wallets and overdrafts (LG008/LG009/LG010) before it writes; then one statement moves the stored balances and writes the entries with bucket_seq and balance_after. A batch that debits a multi-bucket wallet that may not go negative goes row by row (the trigger sees the whole balance of each debit), after locking the buckets its legs move, and no other, in (wallet, bucket) order.';
