CREATE OR REPLACE FUNCTION ledger_check.unbalanced_transactions(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    -- A window is summed per transaction. All history is first summed per
    -- currency and range of 4,096 transaction ids, each amount weighted by a
    -- hash of its transaction id under a seed drawn for this run: a range
    -- whose transactions all sum to zero sums to zero; one that holds an
    -- unbalanced transaction does not, unless 64-bit seeded weights cancel
    -- out, which no accident does. A few thousand groups instead of one per
    -- transaction, so the pass stays in memory and runs in parallel; only the
    -- ranges that fail are summed per transaction (an index range scan).
    WITH seed AS (
        SELECT (random() * 9.2e18)::bigint AS value
    ), failed_ranges AS (
        SELECT e.currency, e.transaction_id >> 12 AS range
          FROM ledger.entries AS e
         WHERE p_since IS NULL
         GROUP BY e.currency, e.transaction_id >> 12
        HAVING sum(e.amount * hashint8extended(e.transaction_id, (SELECT value FROM seed))) <> 0
    ), scope AS (
        SELECT e.transaction_id, e.currency, e.amount
          FROM ledger.entries AS e
         WHERE p_since IS NOT NULL AND e.created_at >= now() - p_since
        UNION ALL
        SELECT e.transaction_id, e.currency, e.amount
          FROM failed_ranges AS r
          JOIN ledger.entries AS e ON e.transaction_id BETWEEN r.range << 12 AND (r.range << 12) + 4095
                                  AND e.currency = r.currency
    )
    SELECT 'unbalanced_transactions', 'CRITICAL', 'transaction ' || s.transaction_id, sum(s.amount),
           jsonb_build_object('transaction_id', s.transaction_id, 'currency', s.currency, 'sum', sum(s.amount), 'legs', count(*)),
           'Stop payments (ledger_ops.set_kill_switch), find the missing leg, post a compensating transaction.'
      FROM scope AS s
     GROUP BY s.transaction_id, s.currency
    HAVING sum(s.amount) <> 0
$$;
COMMENT ON FUNCTION ledger_check.unbalanced_transactions(interval) IS 'Daily health check 1 (ledger invariant): transactions whose legs do not sum to zero in a currency. The deferred trigger forbids it, so a trigger was disabled or bypassed. All history is proven by weighted sums per range of transaction ids; only failing ranges are summed per transaction. CRITICAL.';
REVOKE ALL ON FUNCTION ledger_check.unbalanced_transactions(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.unbalanced_transactions(interval) TO ledger_oncall, ledger_auditor;
