CREATE OR REPLACE FUNCTION ledger_private.tg_wallet_buckets__guard()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    -- ledger_ops.repair_wallet_balance marks, for its own transaction, the
    -- one wallet whose stored balance it recomputes from the entries.
    IF TG_OP = 'UPDATE' AND current_setting('ledger.repairing_wallet', true) = OLD.wallet_id::text
       AND NEW.wallet_id = OLD.wallet_id AND NEW.bucket = OLD.bucket THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% on ledger.wallet_buckets is refused: stored balances change only by posting entries', TG_OP
        USING ERRCODE = 'LG016',
              DETAIL = format('Session user %s wrote wallet_buckets directly (wallet id %s).', session_user,
                              CASE WHEN TG_OP = 'DELETE' THEN OLD.wallet_id ELSE NEW.wallet_id END),
              HINT = 'Post a transaction (ledger_ops.post_adjustment) or repair with ledger_ops.repair_wallet_balance.';
END
$$;
COMMENT ON FUNCTION ledger_private.tg_wallet_buckets__guard() IS 'Refuses (LG016) any write of a stored balance that does not come from the ledger''s own triggers or from ledger_ops.repair_wallet_balance on the wallet it repairs.';

-- Fires only for a top-level write (trigger depth 0) outside the posting
-- engines: the entry and wallet triggers write buckets from inside a trigger
-- (depth >= 1), and ledger_private.post_one_transaction and post_legs mark
-- their own statements. AFTER, not BEFORE: a BEFORE row trigger makes every
-- UPDATE lock its row first, one more WAL record per bucket a posting moves,
-- and the refusal aborts the statement all the same.
CREATE OR REPLACE TRIGGER _010_guard
    AFTER INSERT OR UPDATE OR DELETE ON ledger.wallet_buckets
    FOR EACH ROW WHEN (pg_trigger_depth() < 1 AND current_setting('ledger.posting', true) IS DISTINCT FROM 'engine')
    EXECUTE FUNCTION ledger_private.tg_wallet_buckets__guard();
COMMENT ON TRIGGER _010_guard ON ledger.wallet_buckets IS 'Stored balances are written only by the ledger''s triggers, never directly.';

CREATE OR REPLACE TRIGGER _010_no_truncate
    BEFORE TRUNCATE ON ledger.wallet_buckets
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.tg_refuse_change();
COMMENT ON TRIGGER _010_no_truncate ON ledger.wallet_buckets IS 'Stored balances are never truncated (LG012).';
