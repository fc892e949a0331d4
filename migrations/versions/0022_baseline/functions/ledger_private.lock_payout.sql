CREATE OR REPLACE FUNCTION ledger_private.lock_payout(p_payout_id bigint)
RETURNS ledger.payouts
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_payout ledger.payouts;
BEGIN
    SELECT * INTO v_payout FROM ledger.payouts AS p WHERE p.id = p_payout_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'payout % does not exist', p_payout_id
            USING ERRCODE = 'LG203', DETAIL = format('No row in ledger.payouts has id %s.', p_payout_id),
                  HINT = 'Use the payout_id ledger.payout_once returned.';
    END IF;
    RETURN v_payout;
END
$$;
COMMENT ON FUNCTION ledger_private.lock_payout(bigint) IS 'The payout row locked FOR UPDATE (completions, failures and provider events of one payout take turns); LG203 when it does not exist.';
