CREATE OR REPLACE FUNCTION ledger_check.balance_mismatch(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    WITH touched AS (  -- windowed: wallets with entries in the window; full run (NULL): every wallet
        SELECT DISTINCT e.wallet_id FROM ledger.entries AS e
         WHERE p_since IS NOT NULL AND e.created_at >= now() - p_since
        UNION
        SELECT w.id FROM ledger.wallets AS w WHERE p_since IS NULL
    ), tails AS (  -- each bucket against its last entry: one index probe per bucket
        SELECT b.wallet_id, b.balance AS stored, coalesce(last.balance_after, 0) AS from_entries,
               b.entry_count <> coalesce(last.bucket_seq, 0) AS count_off
          FROM ledger.wallet_buckets AS b
          JOIN touched AS t ON t.wallet_id = b.wallet_id
          LEFT JOIN LATERAL (SELECT e.balance_after, e.bucket_seq FROM ledger.entries AS e
                              WHERE e.wallet_id = b.wallet_id AND e.bucket = b.bucket
                              ORDER BY e.bucket_seq DESC LIMIT 1) AS last ON true
    ), by_tail AS (
        SELECT t.wallet_id, sum(t.stored) AS stored, sum(t.from_entries) AS from_entries
          FROM tails AS t GROUP BY t.wallet_id
        HAVING bool_or(t.stored <> t.from_entries OR t.count_off)
    ), by_sum AS (  -- the full run also adds every entry up
        SELECT b.wallet_id, b.stored, coalesce(s.total, 0) AS from_entries
          FROM (SELECT wb.wallet_id, sum(wb.balance) AS stored FROM ledger.wallet_buckets AS wb
                 WHERE p_since IS NULL GROUP BY wb.wallet_id) AS b
          LEFT JOIN (SELECT e.wallet_id, sum(e.amount) AS total FROM ledger.entries AS e
                      WHERE p_since IS NULL GROUP BY e.wallet_id) AS s ON s.wallet_id = b.wallet_id
         WHERE b.stored <> coalesce(s.total, 0)
    ), mismatched AS (
        SELECT DISTINCT ON (m.wallet_id) m.wallet_id, m.stored, m.from_entries
          FROM (SELECT * FROM by_sum UNION ALL SELECT * FROM by_tail) AS m
         ORDER BY m.wallet_id
    ), rated AS (
        SELECT m.*, count(*) OVER () AS wallets FROM mismatched AS m
    )
    SELECT 'balance_mismatch',
           CASE WHEN r.wallets >= ledger_check.threshold('check.balance.pattern_wallets')::integer THEN 'CRITICAL'
                WHEN r.wallets >= 2 THEN 'HIGH'
                WHEN abs(r.stored - r.from_entries) >= ledger_check.threshold('check.balance.medium_amount')::numeric THEN 'MEDIUM'
                ELSE 'LOW' END,
           w.code, r.stored - r.from_entries,
           jsonb_build_object('wallet', w.code, 'currency', w.currency, 'stored_balance', r.stored,
                              'entries_balance', r.from_entries, 'wallets_affected', r.wallets),
           CASE WHEN r.wallets >= 2 THEN 'Several wallets: pause the affected operations, find the common factor (time, merchant, kind), then repair each.'
                ELSE 'Review the wallet''s recent entries for a missing or duplicate posting, then ledger_ops.repair_wallet_balance.' END
      FROM rated AS r JOIN ledger.wallets AS w ON w.id = r.wallet_id
$$;
COMMENT ON FUNCTION ledger_check.balance_mismatch(interval) IS 'Balance-discrepancy runbook, step 1: wallets whose stored balance differs from their entries. Windowed: each touched wallet''s buckets against their last entry; full run (p_since NULL): every wallet, also by adding all entries up. Severity by the runbook matrix: one wallet under check.balance.medium_amount LOW, over it MEDIUM, several HIGH, check.balance.pattern_wallets or more CRITICAL.';
REVOKE ALL ON FUNCTION ledger_check.balance_mismatch(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.balance_mismatch(interval) TO ledger_oncall, ledger_auditor;
