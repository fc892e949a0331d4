CREATE OR REPLACE FUNCTION ledger_check.unbalanced_transactions(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT 'unbalanced_transactions', 'CRITICAL', 'transaction ' || e.transaction_id, sum(e.amount),
           jsonb_build_object('transaction_id', e.transaction_id, 'currency', e.currency, 'sum', sum(e.amount), 'legs', count(*)),
           'Stop payments (ledger_ops.set_kill_switch), find the missing leg, post a compensating transaction.'
      FROM ledger.entries AS e
     WHERE e.created_at >= coalesce(now() - p_since, '-infinity')
     GROUP BY e.transaction_id, e.currency
    HAVING sum(e.amount) <> 0
$$;
COMMENT ON FUNCTION ledger_check.unbalanced_transactions(interval) IS 'Daily health check 1 (ledger invariant): transactions whose legs do not sum to zero in a currency. The deferred trigger forbids it, so a trigger was disabled or bypassed. CRITICAL.';
REVOKE ALL ON FUNCTION ledger_check.unbalanced_transactions(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.unbalanced_transactions(interval) TO ledger_oncall, ledger_auditor;
