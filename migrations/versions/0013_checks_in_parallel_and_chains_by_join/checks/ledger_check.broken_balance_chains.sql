CREATE OR REPLACE FUNCTION ledger_check.broken_balance_chains(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    -- Each entry against the one before it in its bucket: the first has
    -- balance_after = amount; every later one follows its predecessor's
    -- position and balance_after. A window is sorted with the entry just
    -- before it in each bucket (one index probe per bucket); all history is
    -- one hash join of the entries with their predecessors.
    WITH win AS (
        SELECT e.id, e.wallet_id, e.bucket, e.bucket_seq, e.amount, e.balance_after, true AS in_window
          FROM ledger.entries AS e
         WHERE p_since IS NOT NULL AND e.created_at >= now() - p_since
    ), chain AS (  -- the window, plus the entry just before it in each bucket
        SELECT * FROM win
        UNION ALL
        SELECT e.id, e.wallet_id, e.bucket, e.bucket_seq, e.amount, e.balance_after, false
          FROM (SELECT w.wallet_id, w.bucket, min(w.bucket_seq) AS seq FROM win AS w GROUP BY w.wallet_id, w.bucket) AS f
          JOIN ledger.entries AS e ON e.wallet_id = f.wallet_id AND e.bucket = f.bucket AND e.bucket_seq = f.seq - 1
    ), broken AS (
        SELECT c.id, c.wallet_id, c.bucket, c.bucket_seq, c.amount, c.balance_after, c.prev_seq, c.prev_balance
          FROM (SELECT c.*, lag(c.bucket_seq) OVER b AS prev_seq, lag(c.balance_after) OVER b AS prev_balance
                  FROM chain AS c WINDOW b AS (PARTITION BY c.wallet_id, c.bucket ORDER BY c.bucket_seq)) AS c
         WHERE c.in_window
           AND CASE WHEN c.prev_seq IS NULL THEN c.bucket_seq <> 1 OR c.balance_after <> c.amount
                    ELSE c.bucket_seq <> c.prev_seq + 1 OR c.balance_after <> c.prev_balance + c.amount END
        UNION ALL
        SELECT e.id, e.wallet_id, e.bucket, e.bucket_seq, e.amount, e.balance_after, p.bucket_seq, p.balance_after
          FROM ledger.entries AS e
          LEFT JOIN ledger.entries AS p
            ON p.wallet_id = e.wallet_id AND p.bucket = e.bucket AND p.bucket_seq = e.bucket_seq - 1
         WHERE p_since IS NULL
           AND CASE WHEN e.bucket_seq = 1 THEN e.balance_after <> e.amount
                    ELSE p.id IS NULL OR e.balance_after <> p.balance_after + e.amount END
    )
    SELECT 'broken_balance_chains', 'CRITICAL', w.code || ' bucket ' || b.bucket || ' #' || b.bucket_seq,
           b.balance_after - coalesce(b.prev_balance, 0) - b.amount,
           jsonb_build_object('entry_id', b.id, 'wallet', w.code, 'bucket', b.bucket, 'bucket_seq', b.bucket_seq,
                              'previous_seq', b.prev_seq, 'previous_balance_after', b.prev_balance,
                              'amount', b.amount, 'balance_after', b.balance_after),
           'An entry was removed, inserted out of order or altered: compare with a backup before repairing anything.'
      FROM broken AS b JOIN ledger.wallets AS w ON w.id = b.wallet_id
$$;
COMMENT ON FUNCTION ledger_check.broken_balance_chains(interval) IS 'Balance-discrepancy runbook, step 2 (transaction history): entries whose balance_after is not the previous one in their bucket plus the amount, or that have no predecessor although they are not the first (a position skipped or removed). CRITICAL.';
REVOKE ALL ON FUNCTION ledger_check.broken_balance_chains(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.broken_balance_chains(interval) TO ledger_oncall, ledger_auditor;
