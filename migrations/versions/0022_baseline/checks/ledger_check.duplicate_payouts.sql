CREATE OR REPLACE FUNCTION ledger_check.duplicate_payouts(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    -- Orders that got a payout in the window, checked over all their payouts.
    SELECT 'duplicate_payouts', 'CRITICAL', p.order_ref, sum(p.amount) - max(p.amount),
           jsonb_build_object('payouts', jsonb_agg(jsonb_build_object('payout_id', p.id, 'status', p.status, 'amount', p.amount,
                                                                      'source', p.source, 'created_at', p.created_at) ORDER BY p.id)),
           'Freeze further payouts to the beneficiary (ledger_ops.suspend_payouts), confirm with the provider, then ledger_ops.recover_duplicate_payout.'
      FROM ledger.payouts AS p
     WHERE p.status NOT IN ('FAILED', 'CANCELLED')
       AND p.order_ref IN (SELECT r.order_ref FROM ledger.payouts AS r
                            WHERE r.created_at >= coalesce(now() - p_since, '-infinity'))
     GROUP BY p.order_ref
    HAVING count(*) > 1
$$;
COMMENT ON FUNCTION ledger_check.duplicate_payouts(interval) IS 'Runbook payout anomaly, step 1: orders with more than one live payout (the unique index forbids it, so the index was missing, invalid or bypassed). CRITICAL; amount = what was paid beyond one payout.';
REVOKE ALL ON FUNCTION ledger_check.duplicate_payouts(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.duplicate_payouts(interval) TO ledger_oncall, ledger_auditor;
