CREATE OR REPLACE FUNCTION ledger_private.record_gateway_txn(p_payment ledger.payments, p_gateway_txn_id text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_other bigint;
BEGIN
    -- The gateway transaction id a locked payment keeps: the one it has, or
    -- the one given. One place for authorization and capture.
    IF p_gateway_txn_id IS NULL OR p_gateway_txn_id = p_payment.gateway_txn_id THEN
        RETURN p_payment.gateway_txn_id;
    END IF;
    PERFORM ledger_private.require_text(format('payment %s', p_payment.id), 'the gateway transaction id', p_gateway_txn_id, 200);
    IF p_payment.gateway_txn_id IS NOT NULL THEN
        RAISE EXCEPTION 'payment % already has gateway transaction %', p_payment.id, quote_literal(left(p_payment.gateway_txn_id, 100))
            USING ERRCODE = 'LG101',
                  DETAIL = format('It was %s under gateway transaction %s; this call names %s.', lower(p_payment.status),
                                  quote_literal(left(p_payment.gateway_txn_id, 100)), quote_literal(left(p_gateway_txn_id, 100))),
                  HINT = 'One payment is one gateway charge: ask the gateway which charge this is; never overwrite the recorded one.';
    END IF;
    -- Friendly first; the unique index payments_one_gateway_txn is the guard.
    SELECT p.id INTO v_other FROM ledger.payments AS p WHERE p.gateway_txn_id = p_gateway_txn_id AND p.id <> p_payment.id;
    IF FOUND THEN
        RAISE EXCEPTION 'gateway transaction % already belongs to payment %', quote_literal(left(p_gateway_txn_id, 100)), v_other
            USING ERRCODE = 'LG109',
                  DETAIL = format('Payment %s (order %s) named gateway transaction %s, which payment %s holds.',
                                  p_payment.id, left(p_payment.order_ref, 200), quote_literal(left(p_gateway_txn_id, 100)), v_other),
                  HINT = 'Ask the gateway which payment the charge belongs to; one gateway charge is one payment.';
    END IF;
    RETURN p_gateway_txn_id;
END
$$;
COMMENT ON FUNCTION ledger_private.record_gateway_txn(ledger.payments, text) IS 'The gateway transaction id a payment keeps at authorization or capture: the given one when it has none (1-200 characters, LG015; not another payment''s, LG109), its own when none is given; a different one than recorded is LG101, never a silent replacement.';
