CREATE OR REPLACE FUNCTION ledger_private.tg_entries__apply()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_moved record;
BEGIN
    IF NEW.bucket IS NOT NULL OR NEW.bucket_seq IS NOT NULL OR NEW.balance_after IS NOT NULL THEN
        RAISE EXCEPTION 'ledger entry for wallet id % sets bucket, bucket_seq or balance_after', NEW.wallet_id
            USING ERRCODE = 'LG016',
                  DETAIL = format('bucket=%s bucket_seq=%s balance_after=%s were supplied.',
                                  NEW.bucket, NEW.bucket_seq, NEW.balance_after),
                  HINT = 'Leave them NULL: the ledger assigns them under the wallet bucket lock.';
    END IF;
    -- The rules every entry obeys, in the one place the posting engine uses too.
    v_moved := ledger_private.move_bucket(NEW.wallet_id, NEW.amount, NEW.transaction_id, NEW.currency);
    NEW.amount := v_moved.amount;
    NEW.currency := v_moved.currency;
    NEW.bucket := v_moved.bucket;
    NEW.bucket_seq := v_moved.bucket_seq;
    NEW.balance_after := v_moved.balance_after;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ledger_private.tg_entries__apply() IS 'BEFORE INSERT on ledger.entries: refuses supplied ledger values (LG016), then applies ledger_private.move_bucket: checks wallet, currency and amount (LG005/LG006/LG002/LG003), refuses FROZEN (until frozen_until) and CLOSED wallets (LG008/LG009) and overdrafts (LG010), and applies the amount to one wallet bucket under its row lock, assigning bucket, bucket_seq and balance_after.';

-- Rows written with their position and balance after skip it (the batch
-- engine computes them set-based); _150_verify proves every row, these and
-- those, at the end of the statement.
CREATE OR REPLACE TRIGGER _100_apply
    BEFORE INSERT ON ledger.entries
    FOR EACH ROW WHEN (NEW.balance_after IS NULL)
    EXECUTE FUNCTION ledger_private.tg_entries__apply();
COMMENT ON TRIGGER _100_apply ON ledger.entries IS 'Validates an entry written without its ledger values and applies it to its wallet''s stored balance; whoever inserts, the balance stays the sum of the entries.';
