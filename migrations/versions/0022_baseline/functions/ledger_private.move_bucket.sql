CREATE OR REPLACE FUNCTION ledger_private.move_bucket(
    p_wallet_id bigint, p_amount numeric, p_transaction_id bigint, p_currency text,
    OUT amount numeric, OUT currency text, OUT bucket smallint, OUT bucket_seq bigint, OUT balance_after numeric)
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_code     text;
    v_minor    smallint;
    v_count    smallint;
    v_negative boolean;
    v_after    numeric;
    v_status   text;
    v_mode     text;
    v_until    timestamptz;
    v_problem  text;
BEGIN
    SELECT w.code, w.currency, c.minor_units, w.bucket_count, w.allow_negative
      INTO v_code, currency, v_minor, v_count, v_negative
      FROM ledger.wallets AS w JOIN ledger.currencies AS c ON c.code = w.currency
     WHERE w.id = p_wallet_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'wallet id % does not exist', p_wallet_id
            USING ERRCODE = 'LG006',
                  DETAIL = format('An entry of transaction %s names wallet id %s.', p_transaction_id, p_wallet_id),
                  HINT = 'Post through the API, which resolves wallet codes.';
    END IF;
    IF p_currency <> currency THEN
        RAISE EXCEPTION 'wallet "%" holds %, not %', v_code, currency, p_currency
            USING ERRCODE = 'LG005',
                  DETAIL = format('An entry of transaction %s in %s was posted to wallet %s, whose currency is %s.',
                                  p_transaction_id, p_currency, quote_literal(v_code), currency),
                  HINT = 'Post each currency to wallets of that currency; convert through an FX wallet pair.';
    END IF;
    -- The checks of ledger_private.check_amount, which says what is wrong
    -- when one fails (NULL, zero, NaN, infinities, range, scale).
    amount := CASE WHEN abs(p_amount) < 1e15 AND p_amount <> 0 AND p_amount = round(p_amount, v_minor)
                   THEN round(p_amount, v_minor)
                   ELSE ledger_private.check_amount(p_amount, currency, v_minor, format('amount for wallet "%s"', v_code)) END;

    -- The bucket: bucket 0 for a debit that may not overdraw; otherwise one
    -- bucket of the wallet per database transaction, chosen by transaction
    -- id, so concurrent transactions spread a hot wallet's row locks while
    -- one transaction that posts to it several times locks a single bucket.
    -- (A random bucket per posting locked a transaction's buckets out of
    -- order, and transactions of several postings deadlocked:
    -- tests/test_concurrency.py.)
    bucket := CASE WHEN v_count = 1 OR (amount < 0 AND NOT v_negative) THEN 0
                   ELSE ledger_private.transaction_bucket(p_wallet_id, v_count) END;
    UPDATE ledger.wallet_buckets AS wb
       SET balance = wb.balance + amount, entry_count = wb.entry_count + 1
     WHERE wb.wallet_id = p_wallet_id AND wb.bucket = move_bucket.bucket
    RETURNING wb.entry_count, wb.balance, wb.status, wb.freeze_mode, wb.frozen_until
         INTO bucket_seq, balance_after, v_status, v_mode, v_until;

    -- A debit of a multi-bucket wallet that may not go negative must see the
    -- whole balance. It holds bucket 0, where every such debit goes, and reads
    -- the other buckets without locking them: they only ever take credits
    -- (_150_verify refuses a debit anywhere else), so what it reads can only
    -- grow until it commits, and the captures crediting them never wait.
    v_after := balance_after;
    IF v_count > 1 AND amount < 0 AND NOT v_negative THEN
        SELECT balance_after + coalesce(sum(b.balance), 0) INTO v_after
          FROM ledger.wallet_buckets AS b WHERE b.wallet_id = p_wallet_id AND b.bucket > 0;
    END IF;
    -- The wallet's state is read from the bucket row just locked: a freeze
    -- that committed before the lock was granted is always seen.
    v_problem := ledger_private.entry_refusal(v_status, v_mode, v_until, v_negative, amount, v_after);
    IF v_problem IS NOT NULL THEN
        PERFORM ledger_private.refuse_entry(v_problem, p_wallet_id, p_transaction_id, amount, v_mode, v_after);
    END IF;
END
$$;
COMMENT ON FUNCTION ledger_private.move_bucket(bigint, numeric, bigint, text) IS 'The rules of one entry, in one place for the posting engine and the entry trigger: finds the wallet (LG006), checks the currency when one is given (LG005) and the amount (LG002/LG003), picks the balance bucket (ledger_private.transaction_bucket) and moves it under its row lock (in wallet id order by the caller), and refuses FROZEN and CLOSED wallets and overdrafts from the state on that locked row (LG008/LG009/LG010; a debit of a multi-bucket wallet that may not go negative moves bucket 0 and checks the whole balance, locking no other bucket). Returns the amount at the currency''s scale, the wallet''s currency, and the entry''s bucket, position and balance after.';
