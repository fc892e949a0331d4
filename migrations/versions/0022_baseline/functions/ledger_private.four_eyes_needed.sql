CREATE OR REPLACE FUNCTION ledger_private.four_eyes_needed(p_wallets bigint[], p_amounts numeric[])
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_needed boolean;
BEGIN
    -- Concurrent corrections of one wallet take turns on its row, in wallet
    -- id order (no deadlock), and the audit log is read after the turn, by a
    -- statement of its own: under READ COMMITTED it sees what the call before
    -- committed, so two calls of one user never both count without the
    -- other. A REPEATABLE READ or SERIALIZABLE snapshot is older than the turn
    -- (two such calls of 600.00 each executed alone): refused. Postings take
    -- no lock on wallet rows.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'an on-call correction runs at READ COMMITTED, not %', upper(current_setting('transaction_isolation'))
            USING ERRCODE = 'LG015',
                  DETAIL = 'Its maker-checker count reads what other calls committed while it waited; an older snapshot would miss them.',
                  HINT = 'Call it outside an explicit REPEATABLE READ or SERIALIZABLE transaction (psql''s default is READ COMMITTED).';
    END IF;
    PERFORM FROM ledger.wallets AS w WHERE w.id = ANY (p_wallets) ORDER BY w.id FOR NO KEY UPDATE;
    -- Per wallet: what this call moves, plus what this on-call user moved in
    -- it alone (adjustments and reversals executed without a second person)
    -- within the window. Three adjustments of 999.99, or three reversals of
    -- transfers of 999.99, still need a second person.
    WITH mine AS (
        SELECT a.action, a.target, a.after_state
          FROM ledger.audit_log AS a
         WHERE a.performed_by = session_user
           AND a.performed_at >= now() - ledger_private.setting('ops.adjustment_approval_window')::interval
           AND a.action IN ('post_adjustment', 'reverse_transaction')
           AND coalesce(a.after_state ->> 'status', 'EXECUTED') = 'EXECUTED'  -- reversals before 0021 carry no status
           AND NOT a.after_state ? 'request_id'                               -- a second person approved it
    ), alone AS (
        SELECT w.id AS wallet_id, abs((m.after_state ->> 'amount')::numeric) AS moved
          FROM mine AS m JOIN ledger.wallets AS w ON w.code = m.target
         WHERE m.action = 'post_adjustment'
        UNION ALL
        SELECT (m.after_state -> 'wallet_ids' ->> i)::bigint, abs((m.after_state -> 'amounts' ->> i)::numeric)
          FROM mine AS m, generate_series(0, jsonb_array_length(m.after_state -> 'wallet_ids') - 1) AS i
         WHERE m.action = 'reverse_transaction'
    )
    SELECT bool_or(c.moved + coalesce(p.moved, 0) >= ledger_private.setting('ops.adjustment_approval_threshold')::numeric)
      INTO v_needed
      FROM (SELECT u.wallet_id, sum(abs(u.amount)) AS moved FROM unnest(p_wallets, p_amounts) AS u (wallet_id, amount)
             GROUP BY u.wallet_id) AS c
      LEFT JOIN (SELECT a.wallet_id, sum(a.moved) AS moved FROM alone AS a GROUP BY a.wallet_id) AS p
        ON p.wallet_id = c.wallet_id;
    RETURN coalesce(v_needed, false);
END
$$;
COMMENT ON FUNCTION ledger_private.four_eyes_needed(bigint[], numeric[]) IS 'Maker-checker rule of every on-call correction (ledger_ops.post_adjustment, ledger_ops.reverse_transaction): true when, in any wallet the call moves, what it moves plus what this on-call user moved there alone (adjustments and reversals executed without a second person) within ops.adjustment_approval_window reaches ops.adjustment_approval_threshold. Locks the wallet rows in id order and reads the audit log after, at READ COMMITTED only (LG015 otherwise), so concurrent calls count each other.';
