CREATE OR REPLACE FUNCTION ledger.complete_payout(p_payout_id bigint, p_provider_ref text)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_payout ledger.payouts;
BEGIN
    PERFORM ledger_private.require_arguments('ledger.complete_payout', jsonb_build_object(
        'p_payout_id', p_payout_id IS NULL, 'p_provider_ref', p_provider_ref IS NULL));
    v_payout := ledger_private.lock_payout(p_payout_id);
    IF v_payout.status = 'COMPLETED' THEN
        IF v_payout.provider_ref IS NOT DISTINCT FROM p_provider_ref THEN
            RETURN v_payout.completion_transaction_id;
        END IF;
        RAISE EXCEPTION 'payout % completed already, with provider ref %', p_payout_id, v_payout.provider_ref
            USING ERRCODE = 'LG202',
                  DETAIL = format('Completing it again with provider ref %s.', quote_literal(left(p_provider_ref, 100))),
                  HINT = 'Two refs for one payout: ask the provider which transfer is real before anything else.';
    END IF;
    -- A ref the payout already has (from a provider event) is never
    -- replaced: two refs for one payout are a question for the provider.
    IF v_payout.provider_ref IS NOT NULL AND v_payout.provider_ref <> p_provider_ref THEN
        RAISE EXCEPTION 'payout % already has provider ref %', p_payout_id, quote_literal(left(v_payout.provider_ref, 100))
            USING ERRCODE = 'LG202',
                  DETAIL = format('Completing it with provider ref %s.', quote_literal(left(p_provider_ref, 100))),
                  HINT = 'Two refs for one payout: ask the provider which transfer is real before anything else.';
    END IF;
    PERFORM ledger_private.claim_provider_ref(v_payout, p_provider_ref);
    UPDATE ledger.payouts AS p SET provider_ref = p_provider_ref WHERE p.id = p_payout_id;
    RETURN ledger_private.move_payout(v_payout, 'COMPLETED', NULL);
END
$$;
COMMENT ON FUNCTION ledger.complete_payout(bigint, text) IS 'The provider paid: PENDING or SUBMITTED -> COMPLETED with the provider ref, moving the money from PAYOUTS_IN_TRANSIT to PAYOUT_PROVIDER; returns the completion transaction (again with the same ref: the same id). FAILED / CANCELLED, or another ref than the one the payout has: LG202; a provider ref already on another payout of the merchant: LG204. Works while the payouts kill switch is off: it records what the provider did, and refusing it would desync the ledger.';
REVOKE ALL ON FUNCTION ledger.complete_payout(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.complete_payout(bigint, text) TO ledger_app;
