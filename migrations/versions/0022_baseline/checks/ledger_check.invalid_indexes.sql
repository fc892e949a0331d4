CREATE OR REPLACE FUNCTION ledger_check.invalid_indexes(p_since interval DEFAULT '24 hours')
RETURNS SETOF ledger_check.finding
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT 'invalid_indexes', 'CRITICAL', c.oid::regclass::text, NULL::numeric,
           jsonb_build_object('index', c.oid::regclass::text, 'table', i.indrelid::regclass::text, 'unique', i.indisunique,
                              'valid', i.indisvalid, 'ready', i.indisready, 'definition', pg_get_indexdef(c.oid)),
           'An INVALID index enforces nothing (a failed CREATE INDEX CONCURRENTLY): resolve what made it fail, DROP INDEX CONCURRENTLY it and build it again.'
      FROM pg_catalog.pg_index AS i
      JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
     WHERE c.relnamespace IN ('ledger'::regnamespace, 'ledger_private'::regnamespace)
       AND NOT (i.indisvalid AND i.indisready)
$$;
COMMENT ON FUNCTION ledger_check.invalid_indexes(interval) IS 'Indexes of the ledger that are INVALID or not ready, so enforce nothing (a failed CREATE UNIQUE INDEX CONCURRENTLY). CRITICAL. Not windowed.';
REVOKE ALL ON FUNCTION ledger_check.invalid_indexes(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_check.invalid_indexes(interval) TO ledger_oncall, ledger_auditor;
