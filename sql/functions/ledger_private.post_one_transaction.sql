CREATE OR REPLACE FUNCTION ledger_private.post_one_transaction(p_transaction_id bigint, p_wallets bigint[], p_amounts numeric[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
-- Every statement here has one shape whatever the legs: the generic plan is
-- right, while a custom plan would be made again for every posting (array
-- parameters make the planner's estimates differ from the generic plan's).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_wallet    bigint[] := p_wallets;
    v_amount    numeric[] := p_amounts;
    v_legs      integer := coalesce(cardinality(p_wallets), 0);
    v_currency  text[];
    v_bucket    smallint[];
    v_seq       bigint[];
    v_balance   numeric[];
    v_moved     record;
    v_one_cur   text;
    v_sum       numeric := 0;
    v_sums      text;
BEGIN
    -- Legs go in wallet id order, the lock order of every posting, so
    -- postings never deadlock; legs of one wallet are merged and zero legs
    -- dropped. Legs that come in ascending order without zeros (those of
    -- ledger.post_transaction) need no query for it.
    FOR i IN 1 .. v_legs LOOP
        IF v_amount[i] = 0 OR (i > 1 AND NOT v_wallet[i] > v_wallet[i - 1]) THEN
            SELECT array_agg(l.wallet_id ORDER BY l.wallet_id), array_agg(l.amount ORDER BY l.wallet_id)
              INTO v_wallet, v_amount
              FROM (SELECT u.wallet_id, sum(u.amount) AS amount FROM unnest(p_wallets, p_amounts) AS u (wallet_id, amount)
                     GROUP BY u.wallet_id HAVING sum(u.amount) <> 0) AS l;
            v_legs := coalesce(cardinality(v_wallet), 0);
            EXIT;
        END IF;
    END LOOP;
    IF v_legs = 0 THEN
        RETURN;
    END IF;
    v_currency := array_fill(NULL::text, ARRAY[v_legs]);
    v_bucket := array_fill(NULL::smallint, ARRAY[v_legs]);
    v_seq := array_fill(NULL::bigint, ARRAY[v_legs]);
    v_balance := array_fill(NULL::numeric, ARRAY[v_legs]);

    -- Marks this function's own writes: the bucket guard and the entry
    -- triggers skip them, because each leg passes ledger_private.move_bucket,
    -- the rules of the entry trigger.
    PERFORM set_config('ledger.posting', 'engine', true);
    FOR i IN 1 .. v_legs LOOP
        v_moved := ledger_private.move_bucket(v_wallet[i], v_amount[i], p_transaction_id, NULL);
        v_amount[i] := v_moved.amount;
        v_currency[i] := v_moved.currency;
        v_bucket[i] := v_moved.bucket;
        v_seq[i] := v_moved.bucket_seq;
        v_balance[i] := v_moved.balance_after;
        v_one_cur := CASE WHEN i = 1 OR v_one_cur = v_moved.currency THEN v_moved.currency END;
        v_sum := v_sum + v_moved.amount;
    END LOOP;

    -- The zero sum per currency, before an entry is written (the deferred
    -- trigger skips the rows this function writes).
    IF v_one_cur IS NULL OR v_sum <> 0 THEN
        SELECT string_agg(format('%s %s', s.currency, s.total), ', ' ORDER BY s.currency) INTO v_sums
          FROM (SELECT l.currency, sum(l.amount) AS total FROM unnest(v_currency, v_amount) AS l (currency, amount)
                 GROUP BY l.currency HAVING sum(l.amount) <> 0) AS s;
        IF v_sums IS NOT NULL THEN
            RAISE EXCEPTION 'ledger transaction % does not sum to zero: %', p_transaction_id, v_sums
                USING ERRCODE = 'LG011',
                      DETAIL = format('Per currency, the legs of transaction %s sum to %s; each currency must sum to zero.',
                                      p_transaction_id, v_sums),
                      HINT = 'Add the missing leg, or fix the amounts; different currencies never offset each other.';
        END IF;
    END IF;

    INSERT INTO ledger.entries (transaction_id, wallet_id, currency, amount, bucket, bucket_seq, balance_after)
    SELECT p_transaction_id, l.wallet_id, l.currency, l.amount, l.bucket, l.seq, l.balance
      FROM unnest(v_wallet, v_currency, v_amount, v_bucket, v_seq, v_balance)
           AS l (wallet_id, currency, amount, bucket, seq, balance);
    PERFORM set_config('ledger.posting', '', true);
END
$$;
COMMENT ON FUNCTION ledger_private.post_one_transaction(bigint, bigint[], numeric[]) IS 'The posting engine of one transaction (every API''s posting): merges legs per wallet and drops zero legs; in wallet id order, each leg passes ledger_private.move_bucket, the entry trigger''s rules (LG006, LG002/LG003, LG008/LG009/LG010), which moves its balance bucket under the row lock; proves the zero sum per currency (LG011); then writes the entries with bucket_seq and balance_after in one statement.';
