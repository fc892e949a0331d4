CREATE OR REPLACE FUNCTION ledger_check.broken_balance_chains(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    -- A bucket's chain is sound when its positions run first_seq .. last_seq
    -- without a gap or a repeat, and every entry's balance_after is its
    -- predecessor's plus its amount (the first of all: its amount). Proven in
    -- one aggregate pass, without sorting or joining entries: each entry
    -- claims a link (seq - 1, balance_after - amount) to its predecessor and
    -- offers one (seq, balance_after) to its successor. Each link is hashed
    -- under a seed drawn for this run; in a sound chain the claimed and
    -- offered multisets differ only by the two ends, so their hash sums
    -- differ by exactly h(first_seq - 1, start) - h(last_seq, end).
    -- Any gap, repeat or wrong balance changes that difference unless 64-bit
    -- seeded hashes cancel out, which no accident does (the same bet as
    -- amcheck's heapallindexed). Buckets that fail are read again in position
    -- order, with their predecessor and any entries between that fell outside
    -- the window (a posting that started before the window began can commit
    -- inside it), and only their broken entries are reported.
    WITH seed AS (
        SELECT (random() * 9.2e18)::bigint AS value
    ), sums AS (  -- per bucket in scope: the window's entries, or all of them
        SELECT e.wallet_id, e.bucket, min(e.bucket_seq) AS first_seq, max(e.bucket_seq) AS last_seq,
               sum(hash_numeric_extended(e.balance_after - e.amount, hashint8extended(e.bucket_seq - 1, (SELECT value FROM seed))))
             - sum(hash_numeric_extended(e.balance_after, hashint8extended(e.bucket_seq, (SELECT value FROM seed)))) AS claimed_less_offered
          FROM ledger.entries AS e
         WHERE e.created_at >= coalesce(now() - p_since, '-infinity')
         GROUP BY e.wallet_id, e.bucket
    ), suspect AS MATERIALIZED (  -- a fence: the row-by-row reading below runs for these buckets only
        SELECT s.wallet_id, s.bucket, s.first_seq, s.last_seq
          FROM sums AS s
          LEFT JOIN LATERAL (SELECT p.balance_after FROM ledger.entries AS p  -- the predecessor: one index probe
                              WHERE s.first_seq > 1 AND p.wallet_id = s.wallet_id AND p.bucket = s.bucket
                                AND p.bucket_seq = s.first_seq - 1 LIMIT 1) AS p ON true
          LEFT JOIN LATERAL (SELECT l.balance_after FROM ledger.entries AS l  -- the last entry: one index probe
                              WHERE l.wallet_id = s.wallet_id AND l.bucket = s.bucket AND l.bucket_seq = s.last_seq LIMIT 1) AS l ON true
          CROSS JOIN LATERAL (SELECT CASE WHEN s.first_seq = 1 THEN 0 ELSE p.balance_after END AS start) AS b
         WHERE b.start IS NULL
            OR s.claimed_less_offered
               <> hash_numeric_extended(b.start, hashint8extended(s.first_seq - 1, (SELECT value FROM seed)))::numeric
                - hash_numeric_extended(l.balance_after, hashint8extended(s.last_seq, (SELECT value FROM seed)))::numeric
    ), broken AS (
        SELECT c.*
          FROM suspect AS s
          CROSS JOIN LATERAL (
                SELECT e.id, e.wallet_id, e.bucket, e.bucket_seq, e.amount, e.balance_after,
                       lag(e.bucket_seq) OVER b AS prev_seq, lag(e.balance_after) OVER b AS prev_balance
                  FROM ledger.entries AS e
                 WHERE e.wallet_id = s.wallet_id AND e.bucket = s.bucket
                   AND e.bucket_seq BETWEEN s.first_seq - 1 AND s.last_seq
                WINDOW b AS (ORDER BY e.bucket_seq, e.id)) AS c
         WHERE c.bucket_seq >= s.first_seq
           AND CASE WHEN c.prev_seq IS NULL THEN c.bucket_seq <> 1 OR c.balance_after <> c.amount
                    ELSE c.bucket_seq <> c.prev_seq + 1 OR c.balance_after <> c.prev_balance + c.amount END
    )
    SELECT 'broken_balance_chains', 'CRITICAL', w.code || ' bucket ' || b.bucket || ' #' || b.bucket_seq,
           b.balance_after - coalesce(b.prev_balance, 0) - b.amount,
           jsonb_build_object('entry_id', b.id, 'wallet', w.code, 'bucket', b.bucket, 'bucket_seq', b.bucket_seq,
                              'previous_seq', b.prev_seq, 'previous_balance_after', b.prev_balance,
                              'amount', b.amount, 'balance_after', b.balance_after),
           'An entry was removed, inserted out of order or altered: compare with a backup before repairing anything.'
      FROM broken AS b JOIN ledger.wallets AS w ON w.id = b.wallet_id
$$;
COMMENT ON FUNCTION ledger_check.broken_balance_chains(interval) IS 'Balance-discrepancy runbook, step 2 (transaction history): entries whose balance_after is not the previous one in their bucket plus the amount, or that have no predecessor although they are not the first (a position skipped, repeated or removed). One hashed pass proves sound buckets; only the others are read in order. CRITICAL.';
REVOKE ALL ON FUNCTION ledger_check.broken_balance_chains(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.broken_balance_chains(interval) TO ledger_oncall, ledger_auditor;
