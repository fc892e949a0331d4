CREATE OR REPLACE FUNCTION ledger.create_payment(
    p_idempotency_key text, p_order_ref text, p_payer text, p_payee text,
    p_amount numeric, p_currency text, p_platform_fee numeric, p_method text)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_amount   numeric;
    v_fee      numeric := 0;
    v_payer    ledger.wallets;
    v_payee    ledger.wallets;
    v_id       bigint;
    v_existing bigint;
BEGIN
    PERFORM ledger_private.require_arguments('ledger.create_payment', jsonb_build_object(
        'p_idempotency_key', p_idempotency_key IS NULL, 'p_order_ref', p_order_ref IS NULL, 'p_payer', p_payer IS NULL,
        'p_payee', p_payee IS NULL, 'p_amount', p_amount IS NULL, 'p_currency', p_currency IS NULL,
        'p_platform_fee', p_platform_fee IS NULL, 'p_method', p_method IS NULL));
    PERFORM ledger_private.require_enabled('payments');
    IF length(p_idempotency_key) NOT BETWEEN 1 AND 200 OR length(p_order_ref) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'idempotency key and order ref must be 1 to 200 characters'
            USING ERRCODE = 'LG015',
                  DETAIL = format('Got a key of %s and an order ref of %s characters.', length(p_idempotency_key), length(p_order_ref)),
                  HINT = 'Use a key such as payment-<order id>.';
    END IF;
    IF p_method NOT IN ('COD', 'PREPAID') THEN
        RAISE EXCEPTION 'payment method % is not valid', quote_literal(left(p_method, 40))
            USING ERRCODE = 'LG015', DETAIL = format('Order %s was paid with method %s.', p_order_ref, quote_literal(left(p_method, 40))),
                  HINT = 'Methods: COD, PREPAID.';
    END IF;
    v_amount := ledger_private.check_positive_amount(p_amount, p_currency, 'payment amount');
    IF p_platform_fee IS DISTINCT FROM 0 THEN
        v_fee := ledger_private.check_positive_amount(p_platform_fee, p_currency, 'platform fee');
    END IF;
    IF v_fee > v_amount THEN
        RAISE EXCEPTION 'platform fee % exceeds the payment amount % %', v_fee, v_amount, p_currency
            USING ERRCODE = 'LG107',
                  DETAIL = format('Order %s: amount %s %s, platform fee %s.', p_order_ref, v_amount, p_currency, v_fee),
                  HINT = 'The fee is the platform''s part of the amount: 0 <= fee <= amount.';
    END IF;
    SELECT * INTO v_payer FROM ledger.wallets AS w WHERE w.id = ledger_private.wallet_id(p_payer);
    SELECT * INTO v_payee FROM ledger.wallets AS w WHERE w.id = ledger_private.wallet_id(p_payee);
    IF v_payer.id = v_payee.id THEN
        RAISE EXCEPTION 'payer and payee are the same wallet "%"', p_payer
            USING ERRCODE = 'LG015', DETAIL = format('Order %s pays wallet %s from itself.', p_order_ref, quote_literal(p_payer)),
                  HINT = 'A payment moves money between two wallets.';
    END IF;
    IF v_payer.currency <> p_currency OR v_payee.currency <> p_currency THEN
        RAISE EXCEPTION 'payment in % between wallets in % and %', p_currency, v_payer.currency, v_payee.currency
            USING ERRCODE = 'LG005',
                  DETAIL = format('Order %s: payer %s holds %s, payee %s holds %s.', p_order_ref,
                                  quote_literal(p_payer), v_payer.currency, quote_literal(p_payee), v_payee.currency),
                  HINT = 'Payer and payee must hold the payment currency.';
    END IF;

    v_id := nextval('ledger.payments_id_seq');
    v_existing := ledger_private.claim_idempotency_key(p_idempotency_key, 'ledger.create_payment',
        sha256(convert_to(jsonb_build_array(p_order_ref, p_payer, p_payee, trim_scale(v_amount)::text, p_currency,
                                            trim_scale(v_fee)::text, p_method)::text, 'UTF8')), v_id);
    IF v_existing IS NOT NULL THEN
        RETURN v_existing;
    END IF;
    INSERT INTO ledger.payments (id, idempotency_key, order_ref, payer_wallet_id, payee_wallet_id, currency, amount,
                                 platform_fee, method)
    OVERRIDING SYSTEM VALUE
    VALUES (v_id, p_idempotency_key, p_order_ref, v_payer.id, v_payee.id, p_currency, v_amount, v_fee, p_method);
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION ledger.create_payment(text, text, text, text, numeric, text, numeric, text) IS 'Creates an INITIATED payment of an order from payer to payee and returns its id; the same key and request return the same id. Nothing moves until ledger.capture_payment. Errors: LG001 LG002 LG003 LG004 LG005 LG006 LG013 LG015 LG107 LG108.';
REVOKE ALL ON FUNCTION ledger.create_payment(text, text, text, text, numeric, text, numeric, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.create_payment(text, text, text, text, numeric, text, numeric, text) TO ledger_app;
