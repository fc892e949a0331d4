CREATE OR REPLACE FUNCTION ledger_check.stuck_payments(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT 'stuck_payments',
           CASE WHEN count(*) OVER () > ledger_check.threshold('check.stuck_payments_high_count')::integer THEN 'HIGH' ELSE 'MEDIUM' END,
           'payment ' || p.id, p.amount,
           jsonb_build_object('payment_id', p.id, 'order_ref', p.order_ref, 'method', p.method, 'initiated_at', p.initiated_at,
                              'stuck_payments', count(*) OVER ()),
           'Check the order and the gateway; ledger.retry_advice(''payment'', id) says whether a capture retry is safe.'
      FROM ledger.payments AS p
     WHERE p.status = 'INITIATED'
       AND p.initiated_at < now() - ledger_check.threshold('check.stuck_payment_age')::interval
$$;
COMMENT ON FUNCTION ledger_check.stuck_payments(interval) IS 'Daily health check 2: payments INITIATED longer than check.stuck_payment_age (24 hours). MEDIUM, HIGH when more than check.stuck_payments_high_count (runbook alert 2). Not windowed: being stuck is a state.';
REVOKE ALL ON FUNCTION ledger_check.stuck_payments(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.stuck_payments(interval) TO ledger_oncall, ledger_auditor;
