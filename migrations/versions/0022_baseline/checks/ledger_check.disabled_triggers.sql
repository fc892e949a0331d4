CREATE OR REPLACE FUNCTION ledger_check.disabled_triggers(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT 'disabled_triggers', 'CRITICAL', t.tgname || ' on ' || t.tgrelid::regclass, NULL::numeric,
           jsonb_build_object('trigger', t.tgname, 'table', t.tgrelid::regclass::text,
                              'enabled', CASE t.tgenabled WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'replica only'
                                                          WHEN 'A' THEN 'always' END),
           'An invariant is not enforced: ALTER TABLE … ENABLE TRIGGER, then run every check over all history: ledger_check.run_all(NULL).'
      FROM pg_catalog.pg_trigger AS t
      JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
     WHERE c.relnamespace = 'ledger'::regnamespace AND NOT t.tgisinternal AND t.tgenabled <> 'O'
$$;
COMMENT ON FUNCTION ledger_check.disabled_triggers(interval) IS 'Ledger triggers that are disabled or fire only in replica mode, so an invariant is not enforced. CRITICAL. Not windowed.';
REVOKE ALL ON FUNCTION ledger_check.disabled_triggers(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.disabled_triggers(interval) TO ledger_oncall, ledger_auditor;
