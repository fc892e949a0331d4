CREATE OR REPLACE FUNCTION ledger_private.tg_wallets__sync_buckets()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    -- Touching every bucket row also waits for postings in flight and makes a
    -- REPEATABLE READ posting that raced the freeze fail with 40001.
    UPDATE ledger.wallet_buckets AS wb
       SET status = NEW.status, freeze_mode = NEW.freeze_mode, frozen_until = NEW.frozen_until
     WHERE wb.wallet_id = NEW.id;
    INSERT INTO ledger.wallet_buckets (wallet_id, bucket, status, freeze_mode, frozen_until)
    SELECT NEW.id, g.n, NEW.status, NEW.freeze_mode, NEW.frozen_until
      FROM generate_series(0, NEW.bucket_count - 1) AS g (n)
    ON CONFLICT (wallet_id, bucket) DO NOTHING;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ledger_private.tg_wallets__sync_buckets() IS 'AFTER INSERT or UPDATE on ledger.wallets: creates the wallet''s balance buckets and copies status, freeze_mode and frozen_until onto them, so postings see a freeze under the lock they take.';

CREATE OR REPLACE TRIGGER _200_sync_buckets
    AFTER INSERT OR UPDATE OF status, freeze_mode, frozen_until, bucket_count ON ledger.wallets
    FOR EACH ROW EXECUTE FUNCTION ledger_private.tg_wallets__sync_buckets();
COMMENT ON TRIGGER _200_sync_buckets ON ledger.wallets IS 'Creates balance buckets and mirrors the freeze state onto them.';
