CREATE OR REPLACE FUNCTION ledger_private.fingerprint_of(p_kind text, p_reference text, p_legs jsonb)
RETURNS bytea
LANGUAGE sql
STABLE  -- as jsonb_build_array is; inlined into the query that calls it
AS $$
    SELECT sha256(convert_to(jsonb_build_array(p_kind, p_reference, p_legs)::text, 'UTF8'))
$$;
COMMENT ON FUNCTION ledger_private.fingerprint_of(text, text, jsonb) IS 'The request fingerprint of a TRANSFER: SHA-256 of [kind, reference, legs], the legs a JSON array of ledger_private.fingerprint_leg in wallet code order. Its bytes never change (tests/test_batch.py pins two digests). ledger_private.transfer_fingerprint computes it for one posting, ledger.post_transactions for a whole batch in one query.';
