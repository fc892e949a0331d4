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
    v_code      text;
    v_cur       text;
    v_minor     smallint;
    v_count     smallint;
    v_negative  boolean;
    v_draw      float8;
    v_b         smallint;
    v_s         bigint;
    v_after     numeric;
    v_status    text;
    v_mode      text;
    v_until     timestamptz;
    v_problem   text;
    v_one_cur   text;
    v_sum       numeric := 0;
    v_sums      text;
BEGIN
    -- Legs go in wallet id order, the lock order of every posting, so
    -- postings never deadlock; legs of one wallet are merged and zero legs
    -- dropped. Legs that come in ascending order without zeros (those of
    -- ledger.post_transaction) need no query for it.
    FOR i IN 2 .. v_legs LOOP
        IF NOT v_wallet[i] > v_wallet[i - 1] OR v_amount[i] = 0 OR v_amount[1] = 0 THEN
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
    -- triggers skip them, because this loop applies their rules (those of
    -- ledger_private.tg_entries__apply) leg by leg.
    PERFORM set_config('ledger.posting', 'engine', true);
    FOR i IN 1 .. v_legs LOOP
        -- One statement finds the wallet, picks its bucket (random for a
        -- multi-bucket wallet, so a hot wallet spreads its row locks; bucket 0
        -- for a debit that may not overdraw) and moves the bucket's balance
        -- under its row lock. The draw is made once: random() in the WHERE
        -- clause would be drawn again for every bucket row.
        v_draw := random();
        WITH w AS MATERIALIZED (  -- materialized: the bucket is then an index key of the UPDATE
            SELECT w.id, w.code, w.currency, w.bucket_count, w.allow_negative,
                   (SELECT c.minor_units FROM ledger.currencies AS c WHERE c.code = w.currency) AS minor_units,
                   CASE WHEN w.bucket_count = 1 OR (v_amount[i] < 0 AND NOT w.allow_negative) THEN 0
                        ELSE floor(v_draw * w.bucket_count) END::smallint AS bucket
              FROM ledger.wallets AS w
             WHERE w.id = v_wallet[i])
        UPDATE ledger.wallet_buckets AS wb
           SET balance = wb.balance + v_amount[i], entry_count = wb.entry_count + 1
          FROM w
         WHERE wb.wallet_id = w.id AND wb.bucket = w.bucket
        RETURNING w.code, w.currency, w.minor_units, w.bucket_count, w.allow_negative,
                  wb.bucket, wb.entry_count, wb.balance, wb.status, wb.freeze_mode, wb.frozen_until
             INTO v_code, v_cur, v_minor, v_count, v_negative, v_b, v_s, v_after, v_status, v_mode, v_until;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'wallet id % does not exist', v_wallet[i]
                USING ERRCODE = 'LG006',
                      DETAIL = format('A leg of transaction %s names wallet id %s.', p_transaction_id, v_wallet[i]),
                      HINT = 'Post through the API, which resolves wallet codes.';
        END IF;
        v_balance[i] := v_after;
        IF abs(v_amount[i]) >= 1e15 OR v_amount[i] <> round(v_amount[i], v_minor) THEN  -- NaN and infinities too
            PERFORM ledger_private.check_amount(v_amount[i], v_cur, v_minor, format('amount for wallet "%s"', v_code));
        END IF;
        -- A debit of a multi-bucket wallet that may not go negative must see
        -- the whole balance: it holds bucket 0 now and locks the others, in
        -- bucket order like every such debit.
        IF v_count > 1 AND v_amount[i] < 0 AND NOT v_negative THEN
            SELECT sum(b.balance) INTO v_after
              FROM (SELECT wb.balance FROM ledger.wallet_buckets AS wb
                     WHERE wb.wallet_id = v_wallet[i] ORDER BY wb.bucket FOR UPDATE) AS b;
        END IF;
        -- The wallet's state is read from the bucket row just locked: a
        -- freeze that committed before the lock was granted is always seen.
        v_problem := ledger_private.entry_refusal(v_status, v_mode, v_until, v_negative, v_amount[i], v_after);
        IF v_problem IS NOT NULL THEN
            PERFORM ledger_private.refuse_entry(v_problem, v_wallet[i], p_transaction_id, v_amount[i], v_mode, v_after);
        END IF;
        v_currency[i] := v_cur;
        v_bucket[i] := v_b;
        v_seq[i] := v_s;
        v_one_cur := CASE WHEN i = 1 OR v_one_cur = v_cur THEN v_cur END;
        v_sum := v_sum + v_amount[i];
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
COMMENT ON FUNCTION ledger_private.post_one_transaction(bigint, bigint[], numeric[]) IS 'The posting engine of one transaction (every API''s posting): merges legs per wallet and drops zero legs; in wallet id order, one statement per leg finds the wallet (LG006), picks its balance bucket and moves it under the row lock, then checks the amount (LG002/LG003) and refuses FROZEN and CLOSED wallets and overdrafts (LG008/LG009/LG010); proves the zero sum per currency (LG011); then writes the entries with bucket_seq and balance_after in one statement. The entry trigger''s rules, applied once per leg.';
