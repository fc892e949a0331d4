CREATE OR REPLACE FUNCTION ledger_private.tg_entries__zero_sum()
RETURNS trigger
LANGUAGE plpgsql
-- Deferred: it fires at COMMIT as whatever role is current then (ledger_app
-- has no SELECT on entries), so it runs as its owner.
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_sums text;
BEGIN
    -- Every entry queues this check of its whole transaction; no setting a
    -- session could change lets an event skip. One proof lets it: the next
    -- entry by id belongs to the same transaction and was written by the
    -- same command of the same (sub)transaction (xmin, cmin). Its event was
    -- queued with it, cannot be dropped without it (entries are append-only;
    -- a rolled-back savepoint takes rows and events together), fires once
    -- that command is done, and checks the transaction, or passes it on the
    -- same way. So the last entry of each such run checks the transaction,
    -- and a batch's legs cost one probe each, not one scan each.
    IF EXISTS (SELECT FROM ledger.entries AS this JOIN ledger.entries AS next ON next.id = this.id + 1
                WHERE this.id = NEW.id AND next.transaction_id = this.transaction_id
                  AND next.xmin = this.xmin AND next.cmin = this.cmin) THEN
        RETURN NULL;
    END IF;
    SELECT string_agg(format('%s %s', s.currency, s.total), ', ' ORDER BY s.currency) INTO v_sums
      FROM (SELECT e.currency, sum(e.amount) AS total
              FROM ledger.entries AS e
             WHERE e.transaction_id = NEW.transaction_id
             GROUP BY e.currency
            HAVING sum(e.amount) <> 0) AS s;
    IF v_sums IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction % does not sum to zero: %', NEW.transaction_id, v_sums
            USING ERRCODE = 'LG011',
                  DETAIL = format('Per currency, the legs of transaction %s sum to %s; each currency must sum to zero.',
                                  NEW.transaction_id, v_sums),
                  HINT = 'Add the missing leg, or fix the amounts; a USD/EUR pair never balances without an FX leg in each currency.';
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION ledger_private.tg_entries__zero_sum() FROM PUBLIC;
COMMENT ON FUNCTION ledger_private.tg_entries__zero_sum() IS 'Deferred constraint trigger: at COMMIT every ledger transaction that got entries sums to zero per currency, else LG011 and the whole database transaction rolls back.';

-- Constraint triggers have no CREATE OR REPLACE: drop and create, so the file can be replayed.
DROP TRIGGER IF EXISTS _900_zero_sum ON ledger.entries;
-- No WHEN: every entry, whoever writes it, queues the check of its whole
-- transaction (the engines write all legs of a transaction in one
-- statement, so SET CONSTRAINTS ALL IMMEDIATE sees them whole too).
CREATE CONSTRAINT TRIGGER _900_zero_sum
    AFTER INSERT ON ledger.entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    EXECUTE FUNCTION ledger_private.tg_entries__zero_sum();
COMMENT ON TRIGGER _900_zero_sum ON ledger.entries IS 'Checks at COMMIT (or at statement end under SET CONSTRAINTS ALL IMMEDIATE) that each transaction sums to zero per currency.';
