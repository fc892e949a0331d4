CREATE OR REPLACE FUNCTION ledger_private.fingerprint_leg(p_code text, p_amount numeric)
RETURNS jsonb
LANGUAGE sql
STABLE  -- as jsonb_build_array is; inlined into the query that calls it
AS $$
    SELECT jsonb_build_array(p_code, trim_scale(p_amount)::text)
$$;
COMMENT ON FUNCTION ledger_private.fingerprint_leg(text, numeric) IS 'One leg as the request fingerprint sees it: [wallet code, amount without trailing zeros]. Its bytes never change (stored idempotency keys are compared with them); ledger_private.fingerprint_of hashes the legs in code order.';
