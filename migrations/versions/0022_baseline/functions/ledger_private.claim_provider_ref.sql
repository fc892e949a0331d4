CREATE OR REPLACE FUNCTION ledger_private.claim_provider_ref(p_payout ledger.payouts, p_provider_ref text)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_other bigint;
BEGIN
    IF p_provider_ref IS NULL THEN
        RETURN;
    END IF;
    PERFORM ledger_private.require_text(format('payout %s', p_payout.id), 'the provider ref', p_provider_ref, 200);
    SELECT p.id INTO v_other FROM ledger.payouts AS p
     WHERE p.provider_ref = p_provider_ref AND p.merchant_ref = p_payout.merchant_ref AND p.id <> p_payout.id;
    IF FOUND THEN
        RAISE EXCEPTION 'provider ref % of merchant "%" already belongs to payout %', quote_literal(p_provider_ref), p_payout.merchant_ref, v_other
            USING ERRCODE = 'LG204',
                  DETAIL = format('Payout %s (order %s) was given provider ref %s, which payout %s holds.',
                                  p_payout.id, p_payout.order_ref, p_provider_ref, v_other),
                  HINT = 'One provider ref per merchant: check which payout the provider really paid before anything else.';
    END IF;
END
$$;
COMMENT ON FUNCTION ledger_private.claim_provider_ref(ledger.payouts, text) IS 'LG015 for a provider ref that is not 1-200 characters; LG204 when another payout of the same merchant holds this provider ref (the unique index payouts_provider_ref_per_merchant is the guard; this is the clear message).';
