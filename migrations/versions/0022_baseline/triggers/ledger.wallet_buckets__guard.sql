CREATE OR REPLACE FUNCTION ledger_private.tg_wallet_buckets__guard()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_wallet ledger.wallets;
    v_last   numeric;
    v_next   boolean;
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (NEW.wallet_id, NEW.bucket) IS DISTINCT FROM (OLD.wallet_id, OLD.bucket)) THEN
        RAISE EXCEPTION '% on ledger.wallet_buckets is refused: a balance bucket is never removed or moved', TG_OP
            USING ERRCODE = 'LG016',
                  DETAIL = format('Session user %s wrote bucket %s of wallet id %s.', session_user, OLD.bucket, OLD.wallet_id),
                  HINT = 'Balance buckets belong to their wallet for good.';
    END IF;
    -- What the bucket holds must be what its entries say: its balance and
    -- count are those of the last entry of its chain (none: zero), no entry
    -- lies beyond it, and its freeze state is its wallet's.
    SELECT * INTO v_wallet FROM ledger.wallets AS w WHERE w.id = NEW.wallet_id;
    SELECT e.balance_after INTO v_last FROM ledger.entries AS e
     WHERE e.wallet_id = NEW.wallet_id AND e.bucket = NEW.bucket AND e.bucket_seq = NEW.entry_count;
    v_next := EXISTS (SELECT FROM ledger.entries AS e
                       WHERE e.wallet_id = NEW.wallet_id AND e.bucket = NEW.bucket AND e.bucket_seq = NEW.entry_count + 1);
    IF NEW.balance IS DISTINCT FROM (CASE WHEN NEW.entry_count = 0 THEN 0 ELSE v_last END) OR v_next
       OR NEW.bucket >= v_wallet.bucket_count
       OR (NEW.status, NEW.freeze_mode, NEW.frozen_until) IS DISTINCT FROM (v_wallet.status, v_wallet.freeze_mode, v_wallet.frozen_until) THEN
        RAISE EXCEPTION '% on ledger.wallet_buckets is refused: stored balances change only by posting entries', TG_OP
            USING ERRCODE = 'LG016',
                  DETAIL = format('Session user %s wrote bucket %s of wallet %s: balance %s, %s entries, %s; its entries give %s, %s entries, and the wallet is %s.',
                                  session_user, NEW.bucket, quote_literal(v_wallet.code), NEW.balance, NEW.entry_count,
                                  concat_ws(' ', NEW.status, NEW.freeze_mode), coalesce(v_last, 0),
                                  CASE WHEN v_next THEN 'more' ELSE NEW.entry_count::text END,
                                  concat_ws(' ', v_wallet.status, v_wallet.freeze_mode)),
                  HINT = 'Post a transaction (ledger_ops.post_adjustment), freeze through ledger_ops.freeze_wallet, or repair with ledger_ops.repair_wallet_balance.';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ledger_private.tg_wallet_buckets__guard() IS 'Refuses (LG016) a top-level write of a stored balance that its entries do not account for: after the statement a bucket holds the balance and count of the last entry of its chain, no entry lies beyond it, and it carries its wallet''s freeze state; a bucket is never deleted or moved. The posting engines and ledger_ops.repair_wallet_balance pass because what they write is what the entries say; no session setting is consulted.';

-- Fires for a top-level write (trigger depth 0) at the end of its
-- statement: the batch engine moves the buckets and writes the entries in
-- one statement, so they agree by then. Writes made from inside the
-- ledger's own triggers (the entry trigger moving a bucket before its row is
-- stored, the freeze sync) are proven by the entry verifier and the wallet
-- guard instead. Only DDL (a trigger of one's own, which also could disable
-- this one) reaches depth 1; doctor and ledger_check.disabled_triggers see
-- what stays. AFTER, not BEFORE: a BEFORE row trigger makes every UPDATE
-- lock its row first, one more WAL record per bucket a posting moves.
CREATE OR REPLACE TRIGGER _010_guard
    AFTER INSERT OR UPDATE OR DELETE ON ledger.wallet_buckets
    FOR EACH ROW WHEN (pg_trigger_depth() < 1)
    EXECUTE FUNCTION ledger_private.tg_wallet_buckets__guard();
COMMENT ON TRIGGER _010_guard ON ledger.wallet_buckets IS 'Stored balances are what their entries say, whoever writes them.';

CREATE OR REPLACE TRIGGER _010_no_truncate
    BEFORE TRUNCATE ON ledger.wallet_buckets
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.tg_refuse_change();
COMMENT ON TRIGGER _010_no_truncate ON ledger.wallet_buckets IS 'Stored balances are never truncated (LG012).';
