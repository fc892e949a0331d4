CREATE OR REPLACE FUNCTION ledger_private.tg_entries__verify()
RETURNS trigger
LANGUAGE plpgsql
-- Planned once for every statement size (see ledger_private.post_legs).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v record;
BEGIN
    -- Every row of the statement, set-based: whoever wrote it and however,
    -- it must be what the entry trigger would have written.
    WITH added AS (
        SELECT a.*, lag(a.bucket_seq) OVER chain AS prev_seq, lag(a.balance_after) OVER chain AS prev_balance,
               lead(a.bucket_seq) OVER chain IS NULL AS last_in_chain
          FROM new_entries AS a
        WINDOW chain AS (PARTITION BY a.wallet_id, a.bucket ORDER BY a.bucket_seq)
    ), before AS (  -- the entry each chain continues from
        SELECT e.wallet_id, e.bucket, e.bucket_seq, e.balance_after
          FROM added AS a
          JOIN ledger.entries AS e ON e.wallet_id = a.wallet_id AND e.bucket = a.bucket AND e.bucket_seq = a.bucket_seq - 1
         WHERE a.prev_seq IS NULL
    ), totals AS (  -- whole balance of debited multi-bucket wallets that may not go negative. Their debits
                    -- are all in bucket 0 (refused anywhere else, below), which this transaction holds; the
                    -- other buckets only take credits, so what is read of them unlocked can only grow
        SELECT b.wallet_id, sum(b.balance) AS balance
          FROM ledger.wallet_buckets AS b
         WHERE b.wallet_id IN (SELECT a.wallet_id FROM added AS a JOIN ledger.wallets AS w ON w.id = a.wallet_id
                                WHERE a.amount < 0 AND w.bucket_count > 1 AND NOT w.allow_negative)
         GROUP BY b.wallet_id
    ), checked AS (
    SELECT a.*, w.code, w.currency AS wallet_currency, c.minor_units, t.id AS header,
           b.balance AS stored, b.entry_count AS stored_seq, b.status, b.freeze_mode,
           p.balance_after AS before_balance, tot.balance AS total,
           coalesce(CASE
               WHEN w.id IS NULL THEN 'LG006'
               WHEN t.id IS NULL THEN 'LG018'
               WHEN a.currency <> w.currency THEN 'LG005'
               WHEN abs(a.amount) >= 1e15 THEN 'LG002'
               WHEN a.amount <> round(a.amount, c.minor_units) THEN 'LG003'
               WHEN b.wallet_id IS NULL THEN 'LG016'
               WHEN a.amount < 0 AND a.bucket <> 0 AND w.bucket_count > 1 AND NOT w.allow_negative THEN 'debit bucket'
               ELSE ledger_private.entry_refusal(b.status, b.freeze_mode, b.frozen_until, w.allow_negative, a.amount,
                                                 CASE WHEN w.bucket_count = 1 THEN a.balance_after ELSE tot.balance END)
           END, CASE
               WHEN CASE WHEN a.prev_seq IS NOT NULL
                         THEN a.bucket_seq <> a.prev_seq + 1 OR a.balance_after <> a.prev_balance + a.amount
                         WHEN a.bucket_seq = 1 THEN a.balance_after <> a.amount
                         ELSE p.balance_after IS NULL OR a.balance_after <> p.balance_after + a.amount END THEN 'LG016'
               WHEN a.last_in_chain AND (b.balance <> a.balance_after OR b.entry_count <> a.bucket_seq) THEN 'LG016'
           END) AS problem
      FROM added AS a
      LEFT JOIN ledger.wallets AS w ON w.id = a.wallet_id
      LEFT JOIN ledger.currencies AS c ON c.code = w.currency
      LEFT JOIN ledger.transactions AS t ON t.id = a.transaction_id
      LEFT JOIN ledger.wallet_buckets AS b ON b.wallet_id = a.wallet_id AND b.bucket = a.bucket
      LEFT JOIN before AS p ON p.wallet_id = a.wallet_id AND p.bucket = a.bucket AND p.bucket_seq = a.bucket_seq - 1
      LEFT JOIN totals AS tot ON tot.wallet_id = a.wallet_id
    )
    SELECT * INTO v FROM checked AS k WHERE k.problem IS NOT NULL ORDER BY k.id LIMIT 1;
    IF v.problem IS NULL THEN
        RETURN NULL;
    END IF;
    IF v.problem IN ('LG008', 'LG009', 'LG010') THEN
        PERFORM ledger_private.refuse_entry(v.problem, v.wallet_id, v.transaction_id, v.amount, v.freeze_mode,
                                            coalesce(v.total, v.balance_after));
    END IF;
    CASE v.problem
        WHEN 'LG006' THEN
            RAISE EXCEPTION 'wallet id % does not exist', v.wallet_id
                USING ERRCODE = 'LG006', DETAIL = format('Entry %s of transaction %s names it.', v.id, v.transaction_id),
                      HINT = 'Post through ledger.post_transaction, which resolves wallet codes.';
        WHEN 'LG018' THEN
            RAISE EXCEPTION 'ledger entry % belongs to transaction %, which does not exist', v.id, v.transaction_id
                USING ERRCODE = 'LG018', DETAIL = 'An entry without its transaction is an orphan.',
                      HINT = 'Insert the transaction header first, in the same database transaction.';
        WHEN 'LG005' THEN
            RAISE EXCEPTION 'wallet "%" holds %, not %', v.code, v.wallet_currency, v.currency
                USING ERRCODE = 'LG005', DETAIL = format('Entry %s of transaction %s.', v.id, v.transaction_id),
                      HINT = 'Post each currency to wallets of that currency.';
        WHEN 'LG002' THEN
            RAISE EXCEPTION 'amount % for wallet "%" is out of range', v.amount, v.code
                USING ERRCODE = 'LG002', DETAIL = 'The ledger accepts magnitudes below 10^15.', HINT = 'Check the amount and its unit.';
        WHEN 'LG003' THEN
            RAISE EXCEPTION 'amount for wallet "%" has more decimals than % allows: %', v.code, v.wallet_currency, v.amount
                USING ERRCODE = 'LG003', DETAIL = format('%s has %s minor units. The ledger never rounds.', v.wallet_currency, v.minor_units),
                      HINT = 'Round the amount yourself before posting, and decide where the remainder goes.';
        WHEN 'debit bucket' THEN
            RAISE EXCEPTION 'ledger entry % debits bucket % of wallet "%"', v.id, v.bucket, v.code
                USING ERRCODE = 'LG016',
                      DETAIL = 'A debit of a multi-bucket wallet that may not go negative is always in bucket 0: the other buckets only take credits, so a debit can prove the whole balance without locking them.',
                      HINT = 'Leave bucket, bucket_seq and balance_after NULL: the ledger assigns them under the bucket lock.';
        ELSE
            RAISE EXCEPTION 'ledger entry % of wallet "%" breaks its balance chain', v.id, v.code
                USING ERRCODE = 'LG016',
                      DETAIL = format('bucket %s #%s balance_after %s; the chain gives #%s and %s; the stored bucket holds #%s and %s.',
                                      v.bucket, v.bucket_seq, v.balance_after, coalesce(v.prev_seq + 1, 1),
                                      coalesce(v.prev_balance, v.before_balance, 0) + v.amount, v.stored_seq, v.stored),
                      HINT = 'Leave bucket, bucket_seq and balance_after NULL: the ledger assigns them under the bucket lock.';
    END CASE;
END
$$;
COMMENT ON FUNCTION ledger_private.tg_entries__verify() IS 'AFTER INSERT statement trigger on ledger.entries: proves every new row, however it was written, the posting engines'' rows too (wallet and transaction exist, currency, amount and scale, freeze and closure, overdraft, a debit of a multi-bucket wallet that may not go negative only in bucket 0, the balance chain and the stored bucket) and raises the first problem with its SQLSTATE. Makes any direct write answer to the engine''s rules.';

-- No WHEN: every statement's rows are proven, the posting engines' too. No
-- session setting decides whether a guard runs.
CREATE OR REPLACE TRIGGER _150_verify
    AFTER INSERT ON ledger.entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT
    EXECUTE FUNCTION ledger_private.tg_entries__verify();
COMMENT ON TRIGGER _150_verify ON ledger.entries IS 'Every inserted row, however it was written, obeys the entry rules and continues its balance chain.';
