CREATE OR REPLACE FUNCTION ledger_private.claim_idempotency_key(
    p_key text, p_operation text, p_fingerprint bytea, p_result_id bigint)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_row ledger.idempotency_keys;
BEGIN
    -- A concurrent first request holding the key makes this wait for its
    -- outcome; under REPEATABLE READ a key committed after our snapshot raises
    -- 40001, and the retry then sees it.
    INSERT INTO ledger.idempotency_keys (idempotency_key, operation, request_fingerprint, result_id)
    VALUES (p_key, p_operation, p_fingerprint, p_result_id)
    ON CONFLICT (idempotency_key) DO NOTHING;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    SELECT * INTO STRICT v_row FROM ledger.idempotency_keys AS k WHERE k.idempotency_key = p_key;
    IF v_row.operation <> p_operation OR v_row.request_fingerprint <> p_fingerprint THEN
        -- Who used the key first, when and for what result is shown only to
        -- that same login: another login learns that the key is taken.
        RAISE EXCEPTION 'idempotency key % was already used for a different request', quote_literal(left(p_key, 100))
            USING ERRCODE = 'LG013',
                  DETAIL = CASE WHEN v_row.created_by = session_user
                               THEN format('You first used it at %s for %s (result %s); this %s request differs.',
                                           v_row.created_at, v_row.operation, v_row.result_id, p_operation)
                               ELSE format('Another login used it first; this %s request differs.', p_operation) END,
                  HINT = 'A retry must repeat the original request exactly; a new request needs a new idempotency key.';
    END IF;
    RETURN v_row.result_id;
END
$$;
COMMENT ON FUNCTION ledger_private.claim_idempotency_key(text, text, bytea, bigint) IS 'Claims an idempotency key for p_result_id: NULL when this request is the first; the first result when the same request repeats; LG013 when the key was used for a different request.';
