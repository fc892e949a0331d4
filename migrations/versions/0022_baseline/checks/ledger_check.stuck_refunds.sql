CREATE OR REPLACE FUNCTION ledger_check.stuck_refunds(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT 'stuck_refunds', 'HIGH', 'refund ' || r.id, r.amount,
           jsonb_build_object('refund_id', r.id, 'payment_id', r.payment_id, 'processing_started_at', r.processing_started_at),
           'Do not process it again: check whether the refund reached the payer, then complete it through the gateway or ledger.fail_refund.'
      FROM ledger.refunds AS r
     WHERE r.status = 'PROCESSING'
       AND r.processing_started_at < now() - ledger_check.threshold('check.stuck_refund_age')::interval
$$;
COMMENT ON FUNCTION ledger_check.stuck_refunds(interval) IS 'Daily health check 3: refunds PROCESSING longer than check.stuck_refund_age (5 minutes). HIGH. Not windowed.';
REVOKE ALL ON FUNCTION ledger_check.stuck_refunds(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.stuck_refunds(interval) TO ledger_oncall, ledger_auditor;
