CREATE OR REPLACE FUNCTION ledger_check.batch_and_manual_payout(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT 'batch_and_manual_payout', 'CRITICAL', p.order_ref, sum(p.provider_amount) - max(p.provider_amount),
           jsonb_build_object('payouts', jsonb_agg(jsonb_build_object('payout_id', p.id, 'source', p.source,
                                                                      'settlement_batch_id', p.settlement_batch_id,
                                                                      'completed_at', p.completed_at) ORDER BY p.id)),
           'The nightly batch and a manual payout both paid this order: suspend the beneficiary''s payouts and recover one.'
      FROM ledger.payouts AS p
     WHERE p.status = 'COMPLETED'
       AND p.order_ref IN (SELECT r.order_ref FROM ledger.payouts AS r
                            WHERE r.created_at >= coalesce(now() - p_since, '-infinity'))
     GROUP BY p.order_ref
    HAVING count(*) > 1 AND bool_or(p.source = 'BATCH') AND bool_or(p.source <> 'BATCH')
$$;
COMMENT ON FUNCTION ledger_check.batch_and_manual_payout(interval) IS 'Runbook payout anomaly ("was this part of the nightly settlement batch?"): an order completed by both the settlement batch and a manual payout. CRITICAL.';
REVOKE ALL ON FUNCTION ledger_check.batch_and_manual_payout(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.batch_and_manual_payout(interval) TO ledger_oncall, ledger_auditor;
