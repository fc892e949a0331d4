CREATE OR REPLACE FUNCTION ledger_check.stale_payouts(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT 'stale_payouts', 'MEDIUM', 'payout ' || p.id, p.provider_amount,
           jsonb_build_object('payout_id', p.id, 'order_ref', p.order_ref, 'status', p.status, 'created_at', p.created_at,
                              'provider_state', p.provider_state),
           'The money sits in PAYOUTS_IN_TRANSIT: ask the provider, then complete or fail the payout.'
      FROM ledger.payouts AS p
     WHERE p.status IN ('PENDING', 'SUBMITTED')
       AND p.created_at < now() - ledger_check.threshold('check.stale_payout_age')::interval
$$;
COMMENT ON FUNCTION ledger_check.stale_payouts(interval) IS 'Payout runbook, request history: payouts PENDING or SUBMITTED longer than check.stale_payout_age (24 hours). MEDIUM. Not windowed.';
REVOKE ALL ON FUNCTION ledger_check.stale_payouts(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.stale_payouts(interval) TO ledger_oncall, ledger_auditor;
