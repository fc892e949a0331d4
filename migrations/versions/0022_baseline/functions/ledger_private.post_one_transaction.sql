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
    v_sums text;
BEGIN
    -- One statement writes every leg, legs of one wallet merged and zero legs
    -- dropped, in wallet id order: the lock order of every posting, so
    -- postings never deadlock. The entry trigger (_100_apply) passes each row
    -- through ledger_private.move_bucket, the rules of an entry, and the
    -- statement verifier (_150_verify) proves the rows again: no row skips a
    -- guard, whoever calls this.
    WITH written AS (
        INSERT INTO ledger.entries (transaction_id, wallet_id, amount)
        SELECT p_transaction_id, u.wallet_id, sum(u.amount)
          FROM unnest(p_wallets, p_amounts) AS u (wallet_id, amount)
         GROUP BY u.wallet_id
        HAVING sum(u.amount) <> 0
         ORDER BY u.wallet_id
        RETURNING currency, amount
    )
    SELECT string_agg(format('%s %s', s.currency, s.total), ', ' ORDER BY s.currency) INTO v_sums
      FROM (SELECT w.currency, sum(w.amount) AS total FROM written AS w
             GROUP BY w.currency HAVING sum(w.amount) <> 0) AS s;
    -- The zero sum per currency, at the call (the deferred trigger checks it
    -- again at COMMIT).
    IF v_sums IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction % does not sum to zero: %', p_transaction_id, v_sums
            USING ERRCODE = 'LG011',
                  DETAIL = format('Per currency, the legs of transaction %s sum to %s; each currency must sum to zero.',
                                  p_transaction_id, v_sums),
                  HINT = 'Add the missing leg, or fix the amounts; different currencies never offset each other.';
    END IF;
END
$$;
COMMENT ON FUNCTION ledger_private.post_one_transaction(bigint, bigint[], numeric[]) IS 'The posting engine of one transaction (every API''s posting): one INSERT of the legs, merged per wallet, zero legs dropped, in wallet id order; the entry trigger applies each through ledger_private.move_bucket (LG006, LG002/LG003, LG008/LG009/LG010, the bucket, position and balance after under the row lock) and the statement verifier proves them again; then the zero sum per currency (LG011).';
