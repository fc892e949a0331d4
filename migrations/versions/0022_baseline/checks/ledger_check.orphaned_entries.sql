CREATE OR REPLACE FUNCTION ledger_check.orphaned_entries(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    -- The transaction ids the entries in scope point to, and the ids of the
    -- transactions in scope, as one 64-bit map per block of 64 ids (bit_or):
    -- one parallel pass over both tables with a group per block in memory,
    -- and no join of entries with transactions. The two maps of a block agree
    -- unless an entry points to a missing header or a header has no entry;
    -- only blocks whose maps disagree are looked at row by row, with index
    -- probes (which also clear a header whose entries fall outside the window).
    WITH disagreeing AS MATERIALIZED (
        SELECT m.block
          FROM (SELECT e.transaction_id >> 6 AS block, 1::bigint << (e.transaction_id & 63)::integer AS bit, true AS is_entry
                  FROM ledger.entries AS e
                 WHERE e.created_at >= coalesce(now() - p_since, '-infinity')
                 UNION ALL
                SELECT t.id >> 6, 1::bigint << (t.id & 63)::integer, false
                  FROM ledger.transactions AS t
                 WHERE t.created_at >= coalesce(now() - p_since, '-infinity')) AS m
         GROUP BY m.block
        HAVING bit_or(m.bit) FILTER (WHERE m.is_entry) IS DISTINCT FROM bit_or(m.bit) FILTER (WHERE NOT m.is_entry)
    )
    SELECT 'orphaned_entries', 'CRITICAL', 'entry ' || e.id, e.amount,
           jsonb_build_object('entry_id', e.id, 'transaction_id', e.transaction_id, 'wallet_id', e.wallet_id),
           'An entry without its transaction: restore the header from a backup or reverse the entry by adjustment.'
      FROM disagreeing AS d
      JOIN ledger.entries AS e ON e.transaction_id BETWEEN d.block << 6 AND (d.block << 6) + 63
      LEFT JOIN LATERAL (SELECT true AS found FROM ledger.transactions AS t WHERE t.id = e.transaction_id LIMIT 1) AS t ON true
     WHERE e.created_at >= coalesce(now() - p_since, '-infinity') AND t.found IS NULL
    UNION ALL
    SELECT 'orphaned_entries', 'HIGH', 'transaction ' || t.id, NULL,
           jsonb_build_object('transaction_id', t.id, 'kind', t.kind, 'reference', t.reference, 'created_by', t.created_by),
           'A transaction header without legs moves no money: find what was meant to be posted.'
      FROM disagreeing AS d
      JOIN ledger.transactions AS t ON t.id BETWEEN d.block << 6 AND (d.block << 6) + 63
      LEFT JOIN LATERAL (SELECT true AS found FROM ledger.entries AS e WHERE e.transaction_id = t.id LIMIT 1) AS e ON true
     WHERE t.created_at >= coalesce(now() - p_since, '-infinity') AND e.found IS NULL
$$;
COMMENT ON FUNCTION ledger_check.orphaned_entries(interval) IS 'Daily health check 5: entries whose transaction is missing (CRITICAL) and transactions with no entries (HIGH). Compares bitmaps of transaction ids per block of 64; only disagreeing blocks are probed.';
REVOKE ALL ON FUNCTION ledger_check.orphaned_entries(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.orphaned_entries(interval) TO ledger_oncall, ledger_auditor;
