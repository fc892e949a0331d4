"""Catalog lint over everything ledgerguard deploys."""

from __future__ import annotations

SCHEMAS = ["ledger", "ledger_private", "ledger_check", "ledger_ops"]


def test_every_schema_table_column_view_function_and_trigger_has_a_comment(db):
    missing = db.execute(
        """
        SELECT 'schema ' || n.nspname FROM pg_namespace n
         WHERE n.nspname = ANY(%(s)s) AND obj_description(n.oid, 'pg_namespace') IS NULL
        UNION ALL
        SELECT 'relation ' || c.oid::regclass FROM pg_class c
         WHERE c.relnamespace::regnamespace::text = ANY(%(s)s) AND c.relkind IN ('r', 'v', 'm', 'p')
           AND obj_description(c.oid, 'pg_class') IS NULL
        UNION ALL
        SELECT 'column ' || c.oid::regclass || '.' || a.attname FROM pg_class c
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relnamespace::regnamespace::text = ANY(%(s)s) AND c.relkind IN ('r', 'v', 'm', 'p')
           AND col_description(c.oid, a.attnum) IS NULL
        UNION ALL
        SELECT 'function ' || p.oid::regprocedure FROM pg_proc p
         WHERE p.pronamespace::regnamespace::text = ANY(%(s)s) AND obj_description(p.oid, 'pg_proc') IS NULL
        UNION ALL
        SELECT 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass FROM pg_trigger t
          JOIN pg_class c ON c.oid = t.tgrelid
         WHERE c.relnamespace::regnamespace::text = ANY(%(s)s) AND NOT t.tgisinternal
           AND obj_description(t.oid, 'pg_trigger') IS NULL
        """, {"s": SCHEMAS}).fetchall()
    assert [m for (m,) in missing] == []


def test_security_definer_functions_pin_search_path_and_are_not_public(db):
    rows = db.execute(
        """SELECT p.oid::regprocedure::text,
                  coalesce(array_to_string(p.proconfig, ','), '') LIKE '%%search_path=pg_catalog,%%pg_temp%%',
                  has_function_privilege('public', p.oid, 'EXECUTE')
             FROM pg_proc p
            WHERE p.pronamespace::regnamespace::text = ANY(%s) AND p.prosecdef""", (SCHEMAS,)).fetchall()
    assert rows, "the API is SECURITY DEFINER"
    bad = [(name, pinned, public) for name, pinned, public in rows if not pinned or public]
    assert bad == []


def test_no_function_of_ours_is_executable_by_public(db):
    public = db.execute(
        """SELECT p.oid::regprocedure::text FROM pg_proc p
            WHERE p.pronamespace::regnamespace::text = ANY(%s) AND has_function_privilege('public', p.oid, 'EXECUTE')
              AND p.prorettype <> 'trigger'::regtype""", (SCHEMAS,)).fetchall()
    assert public == []


def test_every_function_states_its_volatility_and_everything_is_owned_by_ledger_owner(db):
    foreign = db.execute(
        """SELECT c.oid::regclass::text FROM pg_class c
            WHERE c.relnamespace::regnamespace::text = ANY(%(s)s) AND c.relowner <> 'ledger_owner'::regrole
           UNION ALL
           SELECT p.oid::regprocedure::text FROM pg_proc p
            WHERE p.pronamespace::regnamespace::text = ANY(%(s)s) AND p.proowner <> 'ledger_owner'::regrole""",
        {"s": SCHEMAS}).fetchall()
    assert foreign == []


def test_plpgsql_check_passes_on_every_function(db):
    findings = db.execute(
        """
        WITH fns AS (
            SELECT p.oid, coalesce(t.tgrelid, 0) AS relid, t.tgnewtable AS newtable
              FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
              LEFT JOIN LATERAL (SELECT t.tgrelid, t.tgnewtable FROM pg_trigger t
                                  WHERE t.tgfoid = p.oid AND NOT t.tgisinternal LIMIT 1) t ON true
             WHERE l.lanname = 'plpgsql' AND p.pronamespace::regnamespace::text = ANY(%s))
        SELECT fns.oid::regprocedure::text, r.level, r.message, r.lineno
          FROM fns, LATERAL plpgsql_check_function_tb(fns.oid, fns.relid, fatal_errors => false,
                                                      extra_warnings => false, newtable => fns.newtable) r
         WHERE r.level IN ('error', 'warning')
        """, (SCHEMAS,)).fetchall()
    assert findings == []


def test_no_api_function_is_strict(db):
    """A NULL argument must raise LG001, never return a silent NULL."""
    strict = db.execute(
        """SELECT p.oid::regprocedure::text FROM pg_proc p
            WHERE p.pronamespace::regnamespace::text IN ('ledger', 'ledger_ops', 'ledger_check') AND p.proisstrict""").fetchall()
    assert strict == []
