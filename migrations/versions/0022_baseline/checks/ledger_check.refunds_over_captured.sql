CREATE OR REPLACE FUNCTION ledger_check.refunds_over_captured(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT 'refunds_over_captured', 'CRITICAL', 'payment ' || p.id, r.total - p.amount,
           jsonb_build_object('payment_id', p.id, 'order_ref', p.order_ref, 'captured', p.amount, 'refunds', r.total,
                              'refund_ids', r.ids),
           'More was refunded than captured: stop refunds (ledger_ops.set_kill_switch), recover the excess from the payer.'
      FROM ledger.payments AS p
      JOIN (SELECT f.payment_id, sum(f.amount) AS total, jsonb_agg(f.id ORDER BY f.id) AS ids
              FROM ledger.refunds AS f
             WHERE f.status <> 'FAILED'
               AND f.payment_id IN (SELECT x.payment_id FROM ledger.refunds AS x
                                     WHERE x.requested_at >= coalesce(now() - p_since, '-infinity'))
             GROUP BY f.payment_id) AS r ON r.payment_id = p.id
     WHERE r.total > p.amount
$$;
COMMENT ON FUNCTION ledger_check.refunds_over_captured(interval) IS 'Payments runbook, manual refund checklist: refunds (not failed) of a payment adding up to more than was captured. CRITICAL.';
REVOKE ALL ON FUNCTION ledger_check.refunds_over_captured(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.refunds_over_captured(interval) TO ledger_oncall, ledger_auditor;
