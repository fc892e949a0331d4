CREATE OR REPLACE FUNCTION ledger_check.payout_keys_per_order(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    -- In the ledger itself: PAYOUT postings of one order not undone by a
    -- PAYOUT_RETURN, each under its own idempotency key.
    SELECT 'payout_keys_per_order', 'CRITICAL', t.reference,
           sum(CASE WHEN t.kind = 'PAYOUT' THEN x.amount ELSE -x.amount END)
             - max(CASE WHEN t.kind = 'PAYOUT' THEN x.amount END),
           jsonb_build_object('idempotency_keys', jsonb_agg(DISTINCT t.idempotency_key) FILTER (WHERE t.kind = 'PAYOUT'),
                              'payouts', count(*) FILTER (WHERE t.kind = 'PAYOUT'),
                              'returns', count(*) FILTER (WHERE t.kind = 'PAYOUT_RETURN')),
           'The dedup guard was bypassed (a code bug or a race): compare the keys, then recover the overpayment.'
      FROM ledger.transactions AS t
      JOIN LATERAL (SELECT max(abs(e.amount)) AS amount FROM ledger.entries AS e WHERE e.transaction_id = t.id) AS x ON true
     WHERE t.kind IN ('PAYOUT', 'PAYOUT_RETURN')
       AND t.reference IN (SELECT r.reference FROM ledger.transactions AS r
                            WHERE r.kind = 'PAYOUT' AND r.created_at >= coalesce(now() - p_since, '-infinity'))
     GROUP BY t.reference
    HAVING count(*) FILTER (WHERE t.kind = 'PAYOUT') - count(*) FILTER (WHERE t.kind = 'PAYOUT_RETURN') > 1
$$;
COMMENT ON FUNCTION ledger_check.payout_keys_per_order(interval) IS 'Runbook payout anomaly, step 2 ("were different idempotency keys used for the same order?"): an order with more than one net PAYOUT posting in the ledger. CRITICAL.';
REVOKE ALL ON FUNCTION ledger_check.payout_keys_per_order(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.payout_keys_per_order(interval) TO ledger_oncall, ledger_auditor;
