CREATE OR REPLACE FUNCTION ledger_check.settlement_refusals(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT 'settlement_refusals', 'HIGH', 'order ' || r.order_ref, NULL::numeric,
           jsonb_build_object('batch_id', b.id, 'run_date', b.run_date, 'order_ref', r.order_ref,
                              'sqlstate', r.sqlstate, 'reason', r.reason),
           'The settlement batch could not pay this order (LG010: the beneficiary is short of funds; LG008/LG201: frozen or suspended; LG206: busy; LG208: the provider reports an earlier payout of it paid, ask the provider). Fix the cause, then rerun the batch for its day: it pays only what is unpaid.'
      FROM ledger.settlement_batch_refusals AS r
      JOIN ledger.settlement_batches AS b ON b.id = r.batch_id
     WHERE b.started_at >= coalesce(now() - p_since, '-infinity')
       AND NOT EXISTS (SELECT FROM ledger.payouts AS p WHERE p.order_ref = r.order_ref AND p.status NOT IN ('FAILED', 'CANCELLED'))
       AND NOT EXISTS (SELECT FROM ledger.settlement_batch_refusals AS later
                        WHERE later.order_ref = r.order_ref AND later.batch_id > r.batch_id)
$$;
COMMENT ON FUNCTION ledger_check.settlement_refusals(interval) IS 'Payout anomaly runbook, the nightly batch: orders a settlement batch in the window could not pay (a beneficiary short of funds, frozen, suspended, a lock held too long) and that no payout has paid since. HIGH.';
REVOKE ALL ON FUNCTION ledger_check.settlement_refusals(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.settlement_refusals(interval) TO ledger_oncall, ledger_auditor;
