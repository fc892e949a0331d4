CREATE OR REPLACE FUNCTION ledger_check.payout_overreturns(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT 'payout_overreturns', 'CRITICAL', 'payout ' || p.id, m.credited - m.debited,
           jsonb_build_object('payout_id', p.id, 'order_ref', p.order_ref, 'beneficiary', w.code, 'status', p.status,
                              'debited', m.debited, 'credited', m.credited),
           'A correction or return of this payout credited the beneficiary more than the payout debited: freeze the wallet (ledger_ops.freeze_wallet), replay the provider''s callbacks, then take the excess back with ledger_ops.post_adjustment.'
      FROM ledger.payouts AS p
      JOIN ledger.wallets AS w ON w.id = p.beneficiary_wallet_id
     CROSS JOIN LATERAL (
           SELECT coalesce(sum(-e.amount) FILTER (WHERE e.amount < 0), 0) AS debited,
                  coalesce(sum(e.amount) FILTER (WHERE e.amount > 0), 0) AS credited
             FROM ledger.transactions AS t JOIN ledger.entries AS e ON e.transaction_id = t.id
            WHERE t.payout_id = p.id AND e.wallet_id = p.beneficiary_wallet_id) AS m
     WHERE p.id IN (SELECT t.payout_id FROM ledger.transactions AS t
                     WHERE t.payout_id IS NOT NULL AND t.created_at >= coalesce(now() - p_since, '-infinity'))
       AND m.credited > m.debited
$$;
COMMENT ON FUNCTION ledger_check.payout_overreturns(interval) IS 'Ledger-desync review: payouts whose corrections or returns credited the beneficiary more than the payout debited it (money made from a provider callback). CRITICAL. Windowed by the payouts'' postings.';
REVOKE ALL ON FUNCTION ledger_check.payout_overreturns(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.payout_overreturns(interval) TO ledger_oncall, ledger_auditor;
