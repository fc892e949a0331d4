CREATE OR REPLACE FUNCTION ledger_check.provider_vs_internal(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    WITH latest AS (  -- the provider's latest word on each payout touched in the window, and on every payout
                      -- it reports paid that the ledger failed (a state, which payout_once refuses on: LG208)
        SELECT DISTINCT ON (v.payout_id) v.payout_id, v.state, v.amount, v.event_seq
          FROM ledger.provider_events AS v
         WHERE v.outcome = 'APPLIED'
           AND v.payout_id IN (SELECT x.payout_id FROM ledger.provider_events AS x
                                WHERE x.received_at >= coalesce(now() - p_since, '-infinity')
                               UNION
                               SELECT p.id FROM ledger.payouts AS p
                                WHERE p.status IN ('FAILED', 'CANCELLED') AND p.provider_state = 'succeeded')
         ORDER BY v.payout_id, v.event_seq DESC
    ), compared AS (
        SELECT p.id, p.order_ref, p.currency, p.status, p.provider_amount, l.state, l.amount AS provider_reported
          FROM latest AS l JOIN ledger.payouts AS p ON p.id = l.payout_id
    )
    SELECT 'provider_vs_internal',
           -- paid by the provider, failed by the ledger: the beneficiary's wallet holds money it also received
           CASE WHEN c.state = 'succeeded' THEN 'HIGH' ELSE 'MEDIUM' END, 'payout ' || c.id,
           CASE WHEN c.state = 'succeeded' THEN c.provider_reported ELSE c.provider_amount END,
           jsonb_build_object('payout_id', c.id, 'order_ref', c.order_ref, 'internal_status', c.status,
                              'provider_state', c.state, 'provider_amount', c.provider_reported),
           'The provider and the ledger disagree on this payout: ask the provider, then complete, fail or correct it.'
      FROM compared AS c
     WHERE (c.state = 'succeeded' AND c.status <> 'COMPLETED') OR (c.state = 'failed' AND c.status <> 'FAILED')
    UNION ALL
    SELECT 'provider_vs_internal',
           CASE WHEN abs(t.provider_total - t.internal_total) >= ledger_check.threshold('check.provider_delta_high')::numeric
                THEN 'HIGH' ELSE 'MEDIUM' END,
           'payouts ' || t.currency, t.provider_total - t.internal_total,
           jsonb_build_object('currency', t.currency, 'provider_total', t.provider_total, 'internal_total', t.internal_total,
                              'payouts', t.payouts),
           'ledger_delta between provider and ledger (postmortem alert ledger_delta_gt_50): replay the callbacks, then look at the payouts listed by this check.'
      FROM (SELECT c.currency, count(*) AS payouts,
                   coalesce(sum(c.provider_reported) FILTER (WHERE c.state = 'succeeded'), 0) AS provider_total,
                   coalesce(sum(c.provider_amount) FILTER (WHERE c.status = 'COMPLETED'), 0) AS internal_total
              FROM compared AS c GROUP BY c.currency) AS t
     WHERE t.provider_total <> t.internal_total
$$;
COMMENT ON FUNCTION ledger_check.provider_vs_internal(interval) IS 'Ledger-desync postmortem, the ledger_delta alert: payouts whose latest provider state disagrees with ours (MEDIUM; HIGH when the provider reports paid a payout the ledger failed), and provider-reported vs internal completed totals per currency over the window (HIGH from check.provider_delta_high).';
REVOKE ALL ON FUNCTION ledger_check.provider_vs_internal(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.provider_vs_internal(interval) TO ledger_oncall, ledger_auditor;
