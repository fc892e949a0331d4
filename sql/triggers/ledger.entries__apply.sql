CREATE OR REPLACE FUNCTION ledger_private.tg_entries__apply()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_code           text;
    v_currency       text;
    v_minor          smallint;
    v_allow_negative boolean;
    v_bucket_count   smallint;
    v_bucket         smallint;
    v_total_before   numeric;
    v_balance        numeric;
    v_seq            bigint;
    v_status         text;
    v_mode           text;
    v_until          timestamptz;
    v_total_after    numeric;
    v_problem        text;
BEGIN
    IF NEW.bucket IS NOT NULL OR NEW.bucket_seq IS NOT NULL OR NEW.balance_after IS NOT NULL THEN
        RAISE EXCEPTION 'ledger entry for wallet id % sets bucket, bucket_seq or balance_after', NEW.wallet_id
            USING ERRCODE = 'LG016',
                  DETAIL = format('bucket=%s bucket_seq=%s balance_after=%s were supplied.',
                                  NEW.bucket, NEW.bucket_seq, NEW.balance_after),
                  HINT = 'Leave them NULL: the ledger assigns them under the wallet bucket lock.';
    END IF;

    SELECT w.code, w.currency, c.minor_units, w.allow_negative, w.bucket_count
      INTO v_code, v_currency, v_minor, v_allow_negative, v_bucket_count
      FROM ledger.wallets AS w
      JOIN ledger.currencies AS c ON c.code = w.currency
     WHERE w.id = NEW.wallet_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'wallet id % does not exist', NEW.wallet_id
            USING ERRCODE = 'LG006',
                  DETAIL = format('An entry of transaction %s names wallet id %s.', NEW.transaction_id, NEW.wallet_id),
                  HINT = 'Post through ledger.post_transaction, which resolves wallet codes.';
    END IF;

    IF NEW.currency IS NULL THEN
        NEW.currency := v_currency;
    ELSIF NEW.currency <> v_currency THEN
        RAISE EXCEPTION 'wallet "%" holds %, not %', v_code, v_currency, NEW.currency
            USING ERRCODE = 'LG005',
                  DETAIL = format('An entry of transaction %s in %s was posted to wallet %s, whose currency is %s.',
                                  NEW.transaction_id, NEW.currency, quote_literal(v_code), v_currency),
                  HINT = 'Post each currency to wallets of that currency; convert through an FX wallet pair.';
    END IF;
    NEW.amount := ledger_private.check_amount(NEW.amount, v_currency, v_minor,
                                              format('amount for wallet "%s"', v_code));

    -- Pick the bucket. A debit of a wallet that may not go negative must see
    -- the whole balance: lock every bucket (in bucket order, like everyone).
    IF v_bucket_count = 1 THEN
        v_bucket := 0;
    ELSIF NEW.amount > 0 OR v_allow_negative THEN
        v_bucket := floor(random() * v_bucket_count)::smallint;
    ELSE
        SELECT sum(b.balance) INTO v_total_before
          FROM (SELECT wb.balance FROM ledger.wallet_buckets AS wb
                 WHERE wb.wallet_id = NEW.wallet_id ORDER BY wb.bucket FOR UPDATE) AS b;
        v_bucket := 0;
    END IF;

    UPDATE ledger.wallet_buckets AS wb
       SET balance = wb.balance + NEW.amount,
           entry_count = wb.entry_count + 1
     WHERE wb.wallet_id = NEW.wallet_id AND wb.bucket = v_bucket
    RETURNING wb.balance, wb.entry_count, wb.status, wb.freeze_mode, wb.frozen_until
         INTO v_balance, v_seq, v_status, v_mode, v_until;

    -- Status is read from the row just locked, so a freeze that committed
    -- before this lock was granted is always seen. For a multi-bucket wallet
    -- one bucket may be below zero while the total is not: debits check the
    -- total.
    v_total_after := coalesce(v_total_before + NEW.amount, v_balance);
    v_problem := ledger_private.entry_refusal(v_status, v_mode, v_until, v_allow_negative, NEW.amount, v_total_after);
    IF v_problem IS NOT NULL THEN
        PERFORM ledger_private.refuse_entry(v_problem, NEW.wallet_id, NEW.transaction_id, NEW.amount, v_mode, v_total_after);
    END IF;

    NEW.bucket := v_bucket;
    NEW.bucket_seq := v_seq;
    NEW.balance_after := v_balance;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ledger_private.tg_entries__apply() IS 'BEFORE INSERT on ledger.entries: checks wallet, currency and amount (LG005/LG006/LG002/LG003), refuses FROZEN (until frozen_until) and CLOSED wallets (LG008/LG009) and overdrafts (LG010), and applies the amount to one wallet bucket under its row lock, assigning bucket, bucket_seq and balance_after.';

-- Rows written with their position and balance after skip it: the posting
-- engine did this work ('engine' mode), anything else is checked by
-- _150_verify. In row-by-row mode every row passes here, and supplied values
-- are refused.
CREATE OR REPLACE TRIGGER _100_apply
    BEFORE INSERT ON ledger.entries
    FOR EACH ROW WHEN (NEW.balance_after IS NULL OR current_setting('ledger.posting', true) = 'rows')
    EXECUTE FUNCTION ledger_private.tg_entries__apply();
COMMENT ON TRIGGER _100_apply ON ledger.entries IS 'Validates an entry written without its ledger values and applies it to its wallet''s stored balance; whoever inserts, the balance stays the sum of the entries.';
