CREATE OR REPLACE FUNCTION ledger_check.orphaned_entries(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT 'orphaned_entries', 'CRITICAL', 'entry ' || e.id, e.amount,
           jsonb_build_object('entry_id', e.id, 'transaction_id', e.transaction_id, 'wallet_id', e.wallet_id),
           'An entry without its transaction: restore the header from a backup or reverse the entry by adjustment.'
      FROM ledger.entries AS e
      LEFT JOIN ledger.transactions AS t ON t.id = e.transaction_id
     WHERE e.created_at >= coalesce(now() - p_since, '-infinity') AND t.id IS NULL
    UNION ALL
    SELECT 'orphaned_entries', 'HIGH', 'transaction ' || t.id, NULL,
           jsonb_build_object('transaction_id', t.id, 'kind', t.kind, 'reference', t.reference, 'created_by', t.created_by),
           'A transaction header without legs moves no money: find what was meant to be posted.'
      FROM ledger.transactions AS t
     WHERE t.created_at >= coalesce(now() - p_since, '-infinity')
       AND NOT EXISTS (SELECT FROM ledger.entries AS e WHERE e.transaction_id = t.id)
$$;
COMMENT ON FUNCTION ledger_check.orphaned_entries(interval) IS 'Daily health check 5: entries whose transaction is missing (CRITICAL) and transactions with no entries (HIGH).';
REVOKE ALL ON FUNCTION ledger_check.orphaned_entries(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.orphaned_entries(interval) TO ledger_oncall, ledger_auditor;
