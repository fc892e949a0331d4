CREATE OR REPLACE FUNCTION ledger_check.duplicate_provider_refs(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT 'duplicate_provider_refs', 'HIGH', d.merchant_ref || ' ' || d.provider_ref, d.amount,
           jsonb_build_object('merchant_ref', d.merchant_ref, 'provider_ref', d.provider_ref, 'payouts', d.payouts, 'source', d.source),
           'One provider transfer is booked on several payouts (postmortem AI-01): keep the one the provider confirms, reverse the others.'
      FROM (SELECT p.merchant_ref, p.provider_ref, jsonb_agg(p.id ORDER BY p.id) AS payouts, sum(p.provider_amount) AS amount,
                   'payouts' AS source
              FROM ledger.payouts AS p
             WHERE p.provider_ref IN (  -- refs touched in the window, checked over all payouts
                       SELECT r.provider_ref FROM ledger.payouts AS r
                        WHERE r.provider_ref IS NOT NULL AND r.created_at >= coalesce(now() - p_since, '-infinity')
                       UNION
                       SELECT v.provider_ref FROM ledger.provider_events AS v
                        WHERE v.provider_ref IS NOT NULL AND v.received_at >= coalesce(now() - p_since, '-infinity'))
             GROUP BY p.merchant_ref, p.provider_ref
            HAVING count(*) > 1
            UNION ALL
            SELECT v.merchant_ref, v.provider_ref, jsonb_agg(DISTINCT v.payout_id), NULL, 'provider_events'
              FROM ledger.provider_events AS v
             WHERE v.provider_ref IS NOT NULL AND v.received_at >= coalesce(now() - p_since, '-infinity')
             GROUP BY v.merchant_ref, v.provider_ref
            HAVING count(DISTINCT v.payout_id) > 1) AS d
$$;
COMMENT ON FUNCTION ledger_check.duplicate_provider_refs(interval) IS 'Ledger-desync postmortem, backfill step 1 ("identify duplicates"): a provider ref on more than one payout of a merchant, in the payouts or in the callbacks. HIGH.';
REVOKE ALL ON FUNCTION ledger_check.duplicate_provider_refs(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.duplicate_provider_refs(interval) TO ledger_oncall, ledger_auditor;
