CREATE OR REPLACE FUNCTION ledger_ops.repair_wallet_balance(p_wallet text, p_reason text, p_ticket text)
RETURNS ledger.audit_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_wallet  ledger.wallets;
    v_before  jsonb;
    v_stored  numeric;
    v_entries numeric;
    v_txn     bigint;
BEGIN
    PERFORM ledger_private.require_arguments('ledger_ops.repair_wallet_balance', jsonb_build_object(
        'p_wallet', p_wallet IS NULL, 'p_reason', p_reason IS NULL, 'p_ticket', p_ticket IS NULL));
    PERFORM ledger_private.require_ticket('repair_wallet_balance', p_wallet, p_ticket, p_reason);
    v_wallet := ledger_private.lock_wallet(p_wallet);
    -- Every bucket against its own entries, under the bucket locks.
    SELECT jsonb_agg(jsonb_build_object('bucket', b.bucket, 'stored', b.balance, 'entries', coalesce(e.total, 0),
                                        'entry_count', b.entry_count, 'last_seq', coalesce(e.last_seq, 0)) ORDER BY b.bucket),
           sum(b.balance), sum(coalesce(e.total, 0))
      INTO v_before, v_stored, v_entries
      FROM (SELECT * FROM ledger.wallet_buckets AS wb WHERE wb.wallet_id = v_wallet.id ORDER BY wb.bucket FOR UPDATE) AS b
      LEFT JOIN (SELECT en.bucket, sum(en.amount) AS total, max(en.bucket_seq) AS last_seq
                   FROM ledger.entries AS en WHERE en.wallet_id = v_wallet.id GROUP BY en.bucket) AS e ON e.bucket = b.bucket;
    IF NOT EXISTS (SELECT FROM jsonb_array_elements(v_before) AS b
                    WHERE (b ->> 'stored')::numeric <> (b ->> 'entries')::numeric
                       OR (b ->> 'entry_count')::bigint <> (b ->> 'last_seq')::bigint) THEN
        RAISE EXCEPTION 'wallet "%" has no balance discrepancy to repair', p_wallet
            USING ERRCODE = 'LG305', DETAIL = format('Stored %s = entries %s, bucket by bucket.', v_stored, v_entries),
                  HINT = 'Nothing to do; ledger_check.balance_mismatch confirms.';
    END IF;
    -- 1. Each bucket back to its entries (the chain stays whole), then
    -- 2. the correcting entry for the difference, against SUSPENSE: the
    --    stored balance the wallet showed is kept, and the entries now
    --    account for it (the runbook's "post adjustment, fix balance").
    -- The bucket guard lets step 1 through because each bucket then equals
    -- the last entry of its chain; it refuses a repair of a broken chain.
    UPDATE ledger.wallet_buckets AS wb
       SET balance = coalesce(e.total, 0), entry_count = coalesce(e.last_seq, 0)
      FROM ledger.wallet_buckets AS b
      LEFT JOIN (SELECT en.bucket, sum(en.amount) AS total, max(en.bucket_seq) AS last_seq
                   FROM ledger.entries AS en WHERE en.wallet_id = v_wallet.id GROUP BY en.bucket) AS e ON e.bucket = b.bucket
     WHERE wb.wallet_id = v_wallet.id AND b.wallet_id = wb.wallet_id AND b.bucket = wb.bucket;
    IF v_stored <> v_entries THEN
        v_txn := ledger_private.adjust(v_wallet, v_stored - v_entries, 'repair:' || btrim(p_ticket));
    END IF;
    RETURN ledger_private.audit('repair_wallet_balance', p_wallet, p_ticket, p_reason,
        jsonb_build_object('stored', v_stored, 'entries', v_entries, 'buckets', v_before),
        jsonb_build_object('stored', v_stored, 'entries', v_stored, 'correcting_transaction_id', v_txn,
                           'correction', v_stored - v_entries));
END
$$;
COMMENT ON FUNCTION ledger_ops.repair_wallet_balance(text, text, text) IS 'The balance-discrepancy runbook''s repair: puts each stored bucket back to the sum of its entries, then posts the correcting entry for the difference against SUSPENSE, so stored balance and entries agree again on what the wallet showed. LG305 when there is nothing to repair. Ticketed, audited; returns the audit row.';
REVOKE ALL ON FUNCTION ledger_ops.repair_wallet_balance(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_ops.repair_wallet_balance(text, text, text) TO ledger_oncall;
