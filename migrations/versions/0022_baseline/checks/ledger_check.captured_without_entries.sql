CREATE OR REPLACE FUNCTION ledger_check.captured_without_entries(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT 'captured_without_entries', 'HIGH', 'payment ' || p.id, p.amount,
           jsonb_build_object('payment_id', p.id, 'order_ref', p.order_ref, 'status', p.status,
                              'capture_transaction_id', p.capture_transaction_id, 'captured_at', p.captured_at),
           'Captured but not in the ledger (missing transaction): verify with the gateway, then post the capture.'
      FROM ledger.payments AS p
     WHERE p.status IN ('CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED')
       AND p.captured_at >= coalesce(now() - p_since, '-infinity')
       AND NOT EXISTS (SELECT FROM ledger.entries AS e WHERE e.transaction_id = p.capture_transaction_id)
$$;
COMMENT ON FUNCTION ledger_check.captured_without_entries(interval) IS 'Balance-discrepancy runbook, missing transaction ("payment completed but transaction not posted"): captured payments without ledger entries. HIGH.';
REVOKE ALL ON FUNCTION ledger_check.captured_without_entries(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.captured_without_entries(interval) TO ledger_oncall, ledger_auditor;
