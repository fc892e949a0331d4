CREATE OR REPLACE FUNCTION ledger.request_refund(
    p_idempotency_key text, p_payment_id bigint, p_amount numeric, p_refund_platform_fee boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_currency text;
    v_amount   numeric;
    v_id       bigint;
    v_existing bigint;
BEGIN
    PERFORM ledger_private.require_arguments('ledger.request_refund', jsonb_build_object(
        'p_idempotency_key', p_idempotency_key IS NULL, 'p_payment_id', p_payment_id IS NULL,
        'p_amount', p_amount IS NULL, 'p_refund_platform_fee', p_refund_platform_fee IS NULL));
    PERFORM ledger_private.require_enabled('refunds');
    IF length(p_idempotency_key) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'idempotency key must be 1 to 200 characters, got %', length(p_idempotency_key)
            USING ERRCODE = 'LG015', DETAIL = format('ledger.request_refund for payment %s.', p_payment_id),
                  HINT = 'Use a key such as refund-<your request id>.';
    END IF;
    SELECT p.currency INTO v_currency FROM ledger.payments AS p WHERE p.id = p_payment_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'payment % does not exist', p_payment_id
            USING ERRCODE = 'LG104', DETAIL = format('No row in ledger.payments has id %s.', p_payment_id),
                  HINT = 'Use the id ledger.create_payment returned.';
    END IF;
    v_amount := ledger_private.check_positive_amount(p_amount, v_currency, 'refund amount');
    v_id := nextval('ledger.refunds_id_seq');
    v_existing := ledger_private.claim_idempotency_key(p_idempotency_key, 'ledger.request_refund',
        sha256(convert_to(jsonb_build_array(p_payment_id, trim_scale(v_amount)::text, p_refund_platform_fee)::text, 'UTF8')), v_id);
    IF v_existing IS NOT NULL THEN
        RETURN v_existing;
    END IF;
    INSERT INTO ledger.refunds (id, idempotency_key, payment_id, amount, refund_platform_fee)
    OVERRIDING SYSTEM VALUE
    VALUES (v_id, p_idempotency_key, p_payment_id, v_amount, p_refund_platform_fee);
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION ledger.request_refund(text, bigint, numeric, boolean) IS 'Requests a PENDING refund of a captured payment and returns its id; the same key and request return the same id. Refunds requested, in flight and completed never exceed the captured amount (LG103), also when requests race. Errors: LG001 LG002 LG003 LG013 LG101 LG103 LG104 LG108.';
REVOKE ALL ON FUNCTION ledger.request_refund(text, bigint, numeric, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.request_refund(text, bigint, numeric, boolean) TO ledger_app;
