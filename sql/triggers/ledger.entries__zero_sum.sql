CREATE OR REPLACE FUNCTION ledger_private.tg_entries__zero_sum()
RETURNS trigger
LANGUAGE plpgsql
-- Deferred: it fires at COMMIT as whatever role is current then (ledger_app
-- has no SELECT on entries), so it runs as its owner.
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_checked  text := current_setting('ledger.zero_sum_checked', true);
    v_max_id   bigint;
    v_sums     text;
BEGIN
    -- Entries of one transaction are queued together; the first event checks
    -- the whole transaction and remembers up to which entry it looked, so the
    -- other legs skip. An entry added later (a higher id) is checked again.
    IF v_checked IS NOT NULL AND v_checked <> '' THEN
        IF split_part(v_checked, ':', 1)::bigint = NEW.transaction_id
           AND split_part(v_checked, ':', 2)::bigint >= NEW.id THEN
            RETURN NULL;
        END IF;
    END IF;

    -- One pass over the transaction's entries (by its index): the sums per
    -- currency and how far this check looked.
    SELECT max(s.last_id), string_agg(format('%s %s', s.currency, s.total), ', ' ORDER BY s.currency)
                           FILTER (WHERE s.total <> 0)
      INTO v_max_id, v_sums
      FROM (SELECT e.currency, sum(e.amount) AS total, max(e.id) AS last_id
              FROM ledger.entries AS e
             WHERE e.transaction_id = NEW.transaction_id
             GROUP BY e.currency) AS s;
    IF v_sums IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction % does not sum to zero: %', NEW.transaction_id, v_sums
            USING ERRCODE = 'LG011',
                  DETAIL = format('Per currency, the legs of transaction %s sum to %s; each currency must sum to zero.',
                                  NEW.transaction_id, v_sums),
                  HINT = 'Add the missing leg, or fix the amounts; a USD/EUR pair never balances without an FX leg in each currency.';
    END IF;
    PERFORM set_config('ledger.zero_sum_checked', NEW.transaction_id || ':' || v_max_id, true);
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION ledger_private.tg_entries__zero_sum() FROM PUBLIC;
COMMENT ON FUNCTION ledger_private.tg_entries__zero_sum() IS 'Deferred constraint trigger: at COMMIT every ledger transaction that got entries sums to zero per currency, else LG011 and the whole database transaction rolls back.';

-- Constraint triggers have no CREATE OR REPLACE: drop and create, so the file can be replayed.
DROP TRIGGER IF EXISTS _900_zero_sum ON ledger.entries;
-- Rows the posting engine writes skip it: ledger_private.post_legs proves
-- the zero sum of every transaction it writes, whole, before it writes
-- them. The mark holds only during the engine's own statement (the WHEN of
-- a deferred trigger is evaluated when the row is written), so any entry
-- written later, by anyone, queues the check of its whole transaction.
CREATE CONSTRAINT TRIGGER _900_zero_sum
    AFTER INSERT ON ledger.entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (current_setting('ledger.posting', true) IS DISTINCT FROM 'engine')
    EXECUTE FUNCTION ledger_private.tg_entries__zero_sum();
COMMENT ON TRIGGER _900_zero_sum ON ledger.entries IS 'Checks at COMMIT (or at statement end under SET CONSTRAINTS ALL IMMEDIATE) that each transaction sums to zero per currency.';
