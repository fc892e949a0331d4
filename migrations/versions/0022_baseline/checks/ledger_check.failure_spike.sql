CREATE OR REPLACE FUNCTION ledger_check.failure_spike(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    WITH failed AS (
        SELECT 'payments ' || p.method AS subject, p.amount, p.failure_reason
          FROM ledger.payments AS p
         WHERE p.status = 'FAILED' AND p.failed_at >= now() - ledger_check.threshold('check.failure_spike_window')::interval
        UNION ALL
        SELECT 'refunds', r.amount, r.failure_reason
          FROM ledger.refunds AS r
         WHERE r.status = 'FAILED' AND r.failed_at >= now() - ledger_check.threshold('check.failure_spike_window')::interval
    )
    SELECT 'failure_spike', 'MEDIUM', f.subject, sum(f.amount),
           jsonb_build_object('failed', count(*), 'window', ledger_check.threshold('check.failure_spike_window'),
                              'reasons', jsonb_agg(DISTINCT f.failure_reason)),
           'A spike of failures: check the gateway status and the most common reason before retrying anything.'
      FROM failed AS f
     GROUP BY f.subject
    HAVING count(*) >= ledger_check.threshold('check.failure_spike_count')::integer
$$;
COMMENT ON FUNCTION ledger_check.failure_spike(interval) IS 'Daily health check 4 and runbook alert 3: at least check.failure_spike_count failed payments (per method) or refunds within check.failure_spike_window. MEDIUM.';
REVOKE ALL ON FUNCTION ledger_check.failure_spike(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.failure_spike(interval) TO ledger_oncall, ledger_auditor;
