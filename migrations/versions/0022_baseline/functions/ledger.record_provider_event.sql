CREATE OR REPLACE FUNCTION ledger.record_provider_event(
    p_provider text, p_merchant_ref text, p_source_event_id text, p_event_seq bigint, p_payout_id bigint,
    p_provider_ref text, p_state text, p_amount numeric, p_currency text, p_payload jsonb DEFAULT '{}')
RETURNS text
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_payout  ledger.payouts;
    v_amount  numeric;
    v_delta   numeric;
    v_target  text;
    v_txn     bigint;
    v_event   bigint;
BEGIN
    PERFORM ledger_private.require_arguments('ledger.record_provider_event', jsonb_build_object(
        'p_provider', p_provider IS NULL, 'p_merchant_ref', p_merchant_ref IS NULL, 'p_source_event_id', p_source_event_id IS NULL,
        'p_event_seq', p_event_seq IS NULL, 'p_payout_id', p_payout_id IS NULL, 'p_state', p_state IS NULL,
        'p_amount', p_amount IS NULL, 'p_currency', p_currency IS NULL, 'p_payload', p_payload IS NULL));
    IF p_state NOT IN ('created', 'submitted', 'succeeded', 'failed') OR length(p_provider) NOT BETWEEN 1 AND 100
       OR length(p_source_event_id) NOT BETWEEN 1 AND 200 OR length(p_provider_ref) NOT BETWEEN 1 AND 200
       OR length(p_merchant_ref) > 100 OR pg_column_size(p_payload) > 65536 THEN
        RAISE EXCEPTION 'provider event % of % is malformed', left(p_source_event_id, 200), left(p_provider, 100)
            USING ERRCODE = 'LG015',
                  DETAIL = format('state %s, payload of %s bytes; provider, event id and provider ref must be 1-100, 1-200 and 1-200 characters, the payload at most 64 kB.',
                                  quote_literal(left(p_state, 40)), pg_column_size(p_payload)),
                  HINT = 'States: created, submitted, succeeded, failed.';
    END IF;
    -- Events of one payout take turns on its row; a replay waits for the
    -- original and then finds it stored.
    v_payout := ledger_private.lock_payout(p_payout_id);
    IF EXISTS (SELECT FROM ledger.provider_events AS e WHERE e.provider = p_provider AND e.source_event_id = p_source_event_id) THEN
        RETURN 'DUPLICATE';
    END IF;
    IF p_merchant_ref <> v_payout.merchant_ref OR p_currency <> v_payout.currency THEN
        RAISE EXCEPTION 'provider event % does not match payout %', p_source_event_id, p_payout_id
            USING ERRCODE = 'LG205',
                  DETAIL = format('The event is for merchant %s in %s; payout %s is for %s in %s.', quote_literal(left(p_merchant_ref, 100)),
                                  quote_literal(left(p_currency, 10)),
                                  p_payout_id, v_payout.merchant_ref, v_payout.currency),
                  HINT = 'The callback names another payout than it describes: quarantine it and ask the provider.';
    END IF;
    IF p_amount = 0 AND p_state = 'failed' THEN
        v_amount := 0;  -- a failure report may carry no amount
    ELSE
        v_amount := ledger_private.check_positive_amount(p_amount, p_currency, format('amount of provider event %s', p_source_event_id));
    END IF;

    IF v_payout.provider_event_seq IS NOT NULL AND p_event_seq <= v_payout.provider_event_seq THEN
        INSERT INTO ledger.provider_events (provider, merchant_ref, source_event_id, event_seq, payout_id, provider_ref, state,
                                            amount, currency, payload, outcome)
        VALUES (p_provider, p_merchant_ref, p_source_event_id, p_event_seq, p_payout_id, p_provider_ref, p_state,
                v_amount, p_currency, p_payload, 'STALE');
        RETURN 'STALE';
    END IF;

    INSERT INTO ledger.provider_events (provider, merchant_ref, source_event_id, event_seq, payout_id, provider_ref, state,
                                        amount, currency, payload, outcome)
    VALUES (p_provider, p_merchant_ref, p_source_event_id, p_event_seq, p_payout_id, p_provider_ref, p_state,
            v_amount, p_currency, p_payload, 'APPLIED')
    RETURNING id INTO v_event;
    PERFORM ledger_private.claim_provider_ref(v_payout, p_provider_ref);
    UPDATE ledger.payouts AS p
       SET provider_ref = coalesce(p_provider_ref, p.provider_ref),  -- a NULL never overwrites a known ref
           provider_state = p_state, provider_event_seq = p_event_seq
     WHERE p.id = p_payout_id;

    -- A corrected amount moves the difference, never edits an entry. Paid
    -- more than we sent: the excess is a receivable SUSPENSE advances, for
    -- on-call to recover. Paid less: the rest comes back, SUSPENSE's advance
    -- first, then the beneficiary's money, never more than either put in. A
    -- failure report corrects nothing: its failure gives back all the
    -- payout holds, to whoever put it in (ledger_private.move_payout).
    v_delta := v_amount - v_payout.provider_amount;
    IF v_delta <> 0 AND p_state <> 'failed' AND v_payout.status NOT IN ('FAILED', 'CANCELLED') THEN
        IF v_delta > 0 THEN
            v_txn := nextval('ledger.transactions_id_seq');
            PERFORM ledger_private.post(v_txn, 'PAYOUT_CORRECTION', NULL, v_payout.order_ref,
                ARRAY[ledger_private.system_wallet(CASE WHEN v_payout.status = 'COMPLETED' THEN 'PAYOUT_PROVIDER'
                                                        ELSE 'PAYOUTS_IN_TRANSIT' END, v_payout.currency),
                      ledger_private.system_wallet('SUSPENSE', v_payout.currency)],
                ARRAY[v_delta, -v_delta], p_payout_id => p_payout_id);
        ELSE
            PERFORM ledger_private.return_payout_funds(v_payout, -v_delta, 'PAYOUT_CORRECTION');
        END IF;
        UPDATE ledger.payouts AS p SET provider_amount = v_amount WHERE p.id = p_payout_id;
    END IF;

    -- The state the provider reports, where our state machine allows it. A
    -- report we cannot follow (succeeded after we failed it) stays recorded
    -- in provider_state for the provider-vs-internal check to raise.
    SELECT * INTO v_payout FROM ledger.payouts AS p WHERE p.id = p_payout_id;
    v_target := CASE
        WHEN p_state = 'submitted' AND v_payout.status = 'PENDING' THEN 'SUBMITTED'
        WHEN p_state = 'succeeded' AND v_payout.status IN ('PENDING', 'SUBMITTED') THEN 'COMPLETED'
        WHEN p_state = 'failed' AND v_payout.status IN ('PENDING', 'SUBMITTED', 'COMPLETED') THEN 'FAILED'
    END;
    IF v_target IS NOT NULL THEN
        PERFORM ledger_private.move_payout(v_payout, v_target, format('provider %s event %s: %s', p_provider, p_source_event_id, p_state));
    END IF;
    RETURN 'APPLIED';
END
$$;
COMMENT ON FUNCTION ledger.record_provider_event(text, text, text, bigint, bigint, text, text, numeric, text, jsonb) IS 'Idempotent importer of payout provider callbacks: stores each (provider, source_event_id) once; a replay returns DUPLICATE; an event with a higher sequence than the payout''s last applied one supersedes it (APPLIED: state, ref, amount corrections as compensating transactions that never give anyone back more than the payout took from them; a failure report corrects nothing, its failure returns what the payout holds); a lower one is stored but never overwrites (STALE). A NULL ref never overwrites a known one; one ref per merchant (LG204).';
REVOKE ALL ON FUNCTION ledger.record_provider_event(text, text, text, bigint, bigint, text, text, numeric, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.record_provider_event(text, text, text, bigint, bigint, text, text, numeric, text, jsonb) TO ledger_app;
