CREATE OR REPLACE FUNCTION ledger_check.broken_balance_chains(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
AS $$
    WITH win AS (
        SELECT e.id, e.wallet_id, e.bucket, e.bucket_seq, e.amount, e.balance_after, true AS in_window
          FROM ledger.entries AS e
         WHERE e.created_at >= coalesce(now() - p_since, '-infinity')
    ), chain AS (  -- the window, plus the entry just before it in each bucket
        SELECT * FROM win
        UNION ALL
        SELECT e.id, e.wallet_id, e.bucket, e.bucket_seq, e.amount, e.balance_after, false
          FROM (SELECT w.wallet_id, w.bucket, min(w.bucket_seq) AS seq FROM win AS w GROUP BY w.wallet_id, w.bucket) AS f
          JOIN ledger.entries AS e ON e.wallet_id = f.wallet_id AND e.bucket = f.bucket AND e.bucket_seq = f.seq - 1
    ), checked AS (
        SELECT c.*, lag(c.bucket_seq) OVER b AS prev_seq, lag(c.balance_after) OVER b AS prev_balance
          FROM chain AS c WINDOW b AS (PARTITION BY c.wallet_id, c.bucket ORDER BY c.bucket_seq)
    )
    SELECT 'broken_balance_chains', 'CRITICAL', w.code || ' bucket ' || c.bucket || ' #' || c.bucket_seq,
           c.balance_after - coalesce(c.prev_balance, 0) - c.amount,
           jsonb_build_object('entry_id', c.id, 'wallet', w.code, 'bucket', c.bucket, 'bucket_seq', c.bucket_seq,
                              'previous_seq', c.prev_seq, 'previous_balance_after', c.prev_balance,
                              'amount', c.amount, 'balance_after', c.balance_after),
           'An entry was removed, inserted out of order or altered: compare with a backup before repairing anything.'
      FROM checked AS c JOIN ledger.wallets AS w ON w.id = c.wallet_id
     WHERE c.in_window
       AND CASE WHEN c.prev_seq IS NULL THEN c.bucket_seq <> 1 OR c.balance_after <> c.amount
                ELSE c.bucket_seq <> c.prev_seq + 1 OR c.balance_after <> c.prev_balance + c.amount END
$$;
COMMENT ON FUNCTION ledger_check.broken_balance_chains(interval) IS 'Balance-discrepancy runbook, step 2 (transaction history): entries whose balance_after is not the previous one in their bucket plus the amount, or whose position skips. CRITICAL.';
REVOKE ALL ON FUNCTION ledger_check.broken_balance_chains(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.broken_balance_chains(interval) TO ledger_oncall, ledger_auditor;
