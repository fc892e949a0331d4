CREATE OR REPLACE FUNCTION ledger_check.duplicate_references(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
AS $$
    -- Not PARALLEL SAFE on purpose: over 1M entries a parallel plan measured 0.8 s against 0.5 s serial.
    WITH repeated AS (  -- (reference, kind) posted more than once; windowed: references seen in the window
        SELECT t.reference, t.kind
          FROM ledger.transactions AS t
         WHERE t.kind IN ('TRANSFER', 'PAYMENT_CAPTURE') AND t.reference IS NOT NULL
           AND t.reference IN (SELECT r.reference FROM ledger.transactions AS r
                                WHERE r.reference IS NOT NULL AND r.kind IN ('TRANSFER', 'PAYMENT_CAPTURE')
                                  AND r.created_at >= coalesce(now() - p_since, '-infinity'))
         GROUP BY t.reference, t.kind
        HAVING count(*) > 1
    )
    SELECT 'duplicate_references', 'MEDIUM', w.code || ' ' || t.reference, sum(e.amount) - (array_agg(e.amount ORDER BY t.id))[1],
           jsonb_build_object('wallet', w.code, 'reference', t.reference, 'kind', t.kind,
                              'transactions', jsonb_agg(t.id ORDER BY t.id), 'amounts', jsonb_agg(e.amount ORDER BY t.id)),
           'The same reference posted twice to one wallet: if it is a duplicate posting, reverse the later one (ledger_ops.reverse_transaction).'
      FROM repeated AS d
      JOIN ledger.transactions AS t ON t.reference = d.reference AND t.kind = d.kind
      JOIN ledger.entries AS e ON e.transaction_id = t.id
      JOIN ledger.wallets AS w ON w.id = e.wallet_id
     GROUP BY w.code, t.reference, t.kind
    HAVING count(DISTINCT t.id) > 1
$$;
COMMENT ON FUNCTION ledger_check.duplicate_references(interval) IS 'Balance-discrepancy runbook, duplicate transaction ("same payment posted twice"): one reference posted more than once to a wallet by TRANSFER or PAYMENT_CAPTURE. MEDIUM; amount = what the repeats moved.';
REVOKE ALL ON FUNCTION ledger_check.duplicate_references(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.duplicate_references(interval) TO ledger_oncall, ledger_auditor;
