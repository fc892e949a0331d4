CREATE OR REPLACE FUNCTION ledger_private.lock_payment(p_payment_id bigint)
RETURNS ledger.payments
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_payment ledger.payments;
BEGIN
    SELECT * INTO v_payment FROM ledger.payments AS p WHERE p.id = p_payment_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'payment % does not exist', p_payment_id
            USING ERRCODE = 'LG104', DETAIL = format('No row in ledger.payments has id %s.', p_payment_id),
                  HINT = 'Use the id ledger.create_payment returned.';
    END IF;
    RETURN v_payment;
END
$$;
COMMENT ON FUNCTION ledger_private.lock_payment(bigint) IS 'The payment row, locked FOR UPDATE so concurrent captures, failures and refunds of one payment take turns; LG104 when it does not exist.';
