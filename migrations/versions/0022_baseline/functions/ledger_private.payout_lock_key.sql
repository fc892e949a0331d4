CREATE OR REPLACE FUNCTION ledger_private.payout_lock_key(p_lock_key integer)
RETURNS bigint
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
    -- The low 32 bits are the order's dense key (ledger.payout_orders), so
    -- ledger_check.lock_waits decodes a lock with an index probe; the high
    -- 32 bits are keyed by the database's secret (SHA-256), so no login can
    -- compute the key of an order, and seeing one key in pg_locks tells
    -- nothing of another. PL/pgSQL: the query is planned once per session.
    RETURN (SELECT (('x' || encode(substr(sha256(s.secret || int4send(p_lock_key)), 1, 4), 'hex'))::bit(32)::bigint << 32)
                   | p_lock_key::bigint
              FROM ledger_private.lock_secret AS s);
END
$$;
COMMENT ON FUNCTION ledger_private.payout_lock_key(integer) IS 'The advisory-lock key of an order''s payouts: its dense key in the low 32 bits, a tag keyed by ledger_private.lock_secret in the high 32 bits, so no login can predict or derive it.';
