CREATE OR REPLACE FUNCTION ledger.post_transaction(
    p_idempotency_key text, p_kind text, p_legs jsonb, p_reference text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
-- Its statements and the posting engine's have one shape whatever the legs;
-- custom plans would be planned again on every call.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_max_legs    integer := 100;
    v_legs        jsonb[];
    v_leg         jsonb;
    v_n           integer;
    v_found_ids   bigint[];
    v_found_currencies text[];
    v_found_minors smallint[];
    v_id_order    integer[];
    v_sorted_ids  bigint[] := '{}'::bigint[];
    v_sorted_amounts numeric[] := '{}'::numeric[];
    v_code        text;
    v_wallet_id   bigint;
    v_currency    text;
    v_minor       smallint;
    v_amount      numeric;
    v_wallet_ids  bigint[] := '{}'::bigint[];
    v_codes       text[] := '{}'::text[];
    v_currencies  text[] := '{}'::text[];
    v_amounts     numeric[] := '{}'::numeric[];
    v_one_currency text;  -- the legs' currency while they share one
    v_sum         numeric := 0;
    v_unbalanced  text;
    v_fingerprint bytea;
    v_txn_id      bigint;
    v_existing    bigint;
BEGIN
    IF p_idempotency_key IS NULL OR p_kind IS NULL OR p_legs IS NULL THEN
        PERFORM ledger_private.require_arguments('ledger.post_transaction', jsonb_build_object(
            'p_idempotency_key', p_idempotency_key IS NULL, 'p_kind', p_kind IS NULL, 'p_legs', p_legs IS NULL));
    END IF;
    IF length(p_idempotency_key) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'idempotency key must be 1 to 200 characters, got %', length(p_idempotency_key)
            USING ERRCODE = 'LG015',
                  DETAIL = 'ledger.post_transaction was called with an empty or oversized idempotency key.',
                  HINT = 'Use a key such as transfer-<your request id>.';
    END IF;
    IF p_kind <> 'TRANSFER' THEN
        RAISE EXCEPTION 'ledger.post_transaction does not post kind %', quote_literal(left(p_kind, 40))
            USING ERRCODE = 'LG015',
                  DETAIL = coalesce((SELECT format('%s transactions are posted by %s.', k.kind, k.posted_by)
                                       FROM ledger.transaction_kinds AS k WHERE k.kind = p_kind),
                                    format('%s is not a transaction kind.', quote_literal(left(p_kind, 40)))),
                  HINT = 'Use kind TRANSFER here; payments, refunds, payouts and corrections have their own functions.';
    END IF;
    IF length(p_reference) > 200 THEN
        RAISE EXCEPTION 'reference is longer than 200 characters'
            USING ERRCODE = 'LG015', DETAIL = format('The reference has %s characters.', length(p_reference)),
                  HINT = 'Pass an order or invoice id, not a document.';
    END IF;
    IF jsonb_typeof(p_legs) = 'array' AND jsonb_array_length(p_legs) > v_max_legs THEN
        v_max_legs := coalesce(ledger_private.setting('max_legs'), '100')::integer;  -- read only when it matters
    END IF;
    IF jsonb_typeof(p_legs) <> 'array' OR jsonb_array_length(p_legs) NOT BETWEEN 2 AND v_max_legs THEN
        RAISE EXCEPTION 'legs must be a JSON array of 2 to % legs', v_max_legs
            USING ERRCODE = 'LG014',
                  DETAIL = format('Got a JSON %s%s.', jsonb_typeof(p_legs),
                                  CASE WHEN jsonb_typeof(p_legs) = 'array' THEN format(' of %s legs', jsonb_array_length(p_legs)) ELSE '' END),
                  HINT = 'Pass [{"wallet": "vendor:42", "amount": "-12.50"}, {"wallet": "PLATFORM_MAIN", "amount": "12.50"}].';
    END IF;

    -- One statement reads the legs and finds their wallets; the checks below
    -- go leg by leg, so the first bad leg is the one reported.
    SELECT array_agg(l.value ORDER BY l.n), array_agg(w.id ORDER BY l.n), array_agg(w.currency ORDER BY l.n),
           array_agg(w.minor_units ORDER BY l.n), array_agg(l.n ORDER BY w.id, l.n)
      INTO v_legs, v_found_ids, v_found_currencies, v_found_minors, v_id_order
      FROM jsonb_array_elements(p_legs) WITH ORDINALITY AS l (value, n)
      LEFT JOIN LATERAL (SELECT w.id, w.currency, c.minor_units
                           FROM ledger.wallets AS w JOIN ledger.currencies AS c ON c.code = w.currency
                          WHERE w.code = l.value ->> 'wallet'
                          LIMIT 1) AS w ON true;  -- LIMIT: one index probe per leg, never a join of all wallets
    FOR v_n IN 1 .. cardinality(v_legs) LOOP
        v_leg := v_legs[v_n];
        IF jsonb_typeof(v_leg) <> 'object'
           OR jsonb_typeof(v_leg -> 'wallet') IS DISTINCT FROM 'string'
           OR jsonb_typeof(v_leg -> 'amount') NOT IN ('string', 'number')
           OR jsonb_typeof(v_leg -> 'amount') IS NULL
           OR (CASE WHEN jsonb_typeof(v_leg) = 'object' THEN v_leg - ARRAY['wallet', 'amount'] <> '{}'::jsonb END) THEN
            RAISE EXCEPTION 'leg % is malformed', v_n
                USING ERRCODE = 'LG014',
                      DETAIL = format('Leg %s is %s.', v_n, left(v_leg::text, 200)),
                      HINT = 'Each leg is exactly {"wallet": "<code>", "amount": "<signed decimal>"}.';
        END IF;
        v_code := v_leg ->> 'wallet';
        v_wallet_id := v_found_ids[v_n];
        v_currency := v_found_currencies[v_n];
        v_minor := v_found_minors[v_n];
        IF v_wallet_id IS NULL THEN
            RAISE EXCEPTION 'wallet "%" does not exist', left(v_code, 100)
                USING ERRCODE = 'LG006',
                      DETAIL = format('Leg %s names wallet %s, which is not in ledger.wallets.', v_n, quote_literal(left(v_code, 100))),
                      HINT = 'Create it with ledger.create_wallet, or check the code (codes are case-sensitive).';
        END IF;
        IF v_wallet_id = ANY (v_wallet_ids) THEN
            RAISE EXCEPTION 'wallet "%" appears in more than one leg', v_code
                USING ERRCODE = 'LG014',
                      DETAIL = format('Leg %s repeats wallet %s.', v_n, quote_literal(v_code)),
                      HINT = 'Merge the legs of one wallet into one amount.';
        END IF;
        v_amount := ledger_private.check_amount(
            ledger_private.parse_amount(v_leg ->> 'amount', 'leg ' || v_n || ' amount'),
            v_currency, v_minor, 'leg ' || v_n || ' amount (wallet "' || v_code || '")');
        v_wallet_ids := v_wallet_ids || v_wallet_id;
        v_codes := v_codes || v_code;
        v_currencies := v_currencies || v_currency;
        v_amounts := v_amounts || v_amount;
        v_one_currency := CASE WHEN v_n = 1 OR v_one_currency = v_currency THEN v_currency END;
        v_sum := v_sum + v_amount;
    END LOOP;

    -- Fail fast here with a clear message; the posting engine proves it again.
    IF v_one_currency IS NULL OR v_sum <> 0 THEN
        SELECT string_agg(format('%s %s', s.currency, s.total), ', ' ORDER BY s.currency) INTO v_unbalanced
          FROM (SELECT l.currency, sum(l.amount) AS total
                  FROM unnest(v_currencies, v_amounts) AS l (currency, amount)
                 GROUP BY l.currency HAVING sum(l.amount) <> 0) AS s;
    END IF;
    IF v_unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'legs do not sum to zero: %', v_unbalanced
            USING ERRCODE = 'LG011',
                  DETAIL = format('Per currency the legs sum to %s; every currency must sum to zero.', v_unbalanced),
                  HINT = 'Add the missing leg or fix the amounts; different currencies never offset each other.';
    END IF;

    v_fingerprint := ledger_private.transfer_fingerprint(p_kind, p_reference, v_codes, v_amounts);
    v_txn_id := nextval('ledger.transactions_id_seq');
    v_existing := ledger_private.claim_idempotency_key(p_idempotency_key, 'ledger.post_transaction', v_fingerprint, v_txn_id);
    IF v_existing IS NOT NULL THEN
        RETURN v_existing;
    END IF;
    -- In wallet id order, the engine's lock order (it then needs no sort).
    FOREACH v_n IN ARRAY v_id_order LOOP
        v_sorted_ids := v_sorted_ids || v_wallet_ids[v_n];
        v_sorted_amounts := v_sorted_amounts || v_amounts[v_n];
    END LOOP;
    RETURN ledger_private.post(v_txn_id, p_kind, p_idempotency_key, p_reference, v_sorted_ids, v_sorted_amounts);
END
$$;
COMMENT ON FUNCTION ledger.post_transaction(text, text, jsonb, text) IS 'Posts a balanced TRANSFER of 2..max_legs legs [{"wallet": code, "amount": "-12.50"}, …] and returns its id. The same key and request return the first id and write nothing; the same key with another request is LG013. Errors: LG001 LG002 LG003 LG006 LG008 LG009 LG010 LG011 LG014 LG015.';
REVOKE ALL ON FUNCTION ledger.post_transaction(text, text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.post_transaction(text, text, jsonb, text) TO ledger_app;
