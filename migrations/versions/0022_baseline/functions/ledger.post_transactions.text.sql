CREATE OR REPLACE FUNCTION ledger.post_transactions(p_batch text)
RETURNS bigint[]
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
SET plan_cache_mode = force_generic_plan
-- A batch of 100,000 transfers sorts and hashes 300,000 legs a few times,
-- and every sort and hash of the call may take work_mem: at 64MB one call of
-- 100,000 peaked at 487 MB of backend memory, at 12MB at 191 MB in the same
-- time, at the default 4MB at 155 MB and 8 % slower (sorts spilled).
SET work_mem = '12MB'
AS $$
DECLARE
    v_batch        json;      -- the batch, validated but not parsed into a tree (jsonb would be: 20 times its size)
    v_max_legs     integer := coalesce(ledger_private.setting('max_legs'), '100')::integer;
    -- No well-formed item comes near: max_legs legs of a 100-character
    -- wallet code and an amount are about 16 kB, however it is indented.
    v_max_item_bytes constant integer := 262144;
    -- One element per item, aligned (in no particular order): its position,
    -- key, reference, request fingerprint and transaction id.
    v_items        bigint[];
    v_keys         text[];
    v_references   text[];
    v_fingerprints bytea[];
    v_txns         bigint[];
    -- One element per leg, aligned: its transaction, wallet and amount.
    v_leg_txns     bigint[];
    v_leg_wallets  bigint[];
    v_leg_amounts  numeric[];
    v_ids          bigint[];  -- the result: each item's transaction id, in item order
    v_bad          bigint;
    v_state        text;
    v_message      text;
    v_conflict     text;
    v_claimed      bigint;
BEGIN
    PERFORM ledger_private.require_arguments('ledger.post_transactions', jsonb_build_object('p_batch', p_batch IS NULL));
    -- What one call may send, refused before any of it is parsed. Parsed
    -- whole into jsonb a batch takes about 20 times its JSON (measured: the
    -- 18 MB of 100,000 transfers, 385 MB; a call of 193 MB took 4.9 GB); here
    -- it is validated as json and each item parsed on its own.
    PERFORM ledger_private.require_batch_size(octet_length(p_batch)::bigint, NULL);
    BEGIN
        v_batch := p_batch::json;  -- validates it, without building a tree
    EXCEPTION WHEN invalid_text_representation OR untranslatable_character OR statement_too_complex THEN
        GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT;
        RAISE EXCEPTION 'a batch is a JSON array of transfers: %', v_message
            USING ERRCODE = 'LG014', DETAIL = format('It starts %s.', quote_literal(left(p_batch, 60))),
                  HINT = 'Pass [{"idempotency_key": …, "kind": "TRANSFER", "legs": [...], "reference": …}, …].';
    END;
    IF json_typeof(v_batch) <> 'array' THEN
        RAISE EXCEPTION 'a batch is a JSON array of transfers'
            USING ERRCODE = 'LG014', DETAIL = format('Got a JSON %s.', json_typeof(v_batch)),
                  HINT = 'Pass [{"idempotency_key": …, "kind": "TRANSFER", "legs": [...], "reference": …}, …].';
    END IF;
    PERFORM ledger_private.require_batch_size(octet_length(p_batch)::bigint, json_array_length(v_batch)::bigint);

    -- Every leg of every item, resolved in one pass: wallet, amount at the
    -- currency's scale (NULL when malformed), fingerprint and id per item,
    -- and the first item that is not a well-formed, balanced TRANSFER. The
    -- key sets are checked with one `-` of an array of keys: each `-` copies
    -- the object, and four of them per item cost 0.45 s of a 100k batch.
    -- What comes out is plain arrays, per item and per leg: an array of
    -- composite legs sorted by item cost 0.6 s of a 100k batch to build, and
    -- each statement after it sorted 300,000 legs to get back to the items.
    BEGIN
        WITH items AS (
            SELECT i.ordinality AS item, i.value AS v,
                   coalesce(jsonb_typeof(i.value) = 'object' AND i.value ->> 'kind' = 'TRANSFER'
                            AND jsonb_typeof(i.value -> 'idempotency_key') = 'string'
                            AND length(i.value ->> 'idempotency_key') BETWEEN 1 AND 200
                            AND coalesce(jsonb_typeof(i.value -> 'reference'), 'null') IN ('string', 'null')
                            AND coalesce(length(i.value ->> 'reference'), 0) <= 200
                            AND (CASE WHEN jsonb_typeof(i.value) = 'object'
                                      THEN i.value - ARRAY['idempotency_key', 'kind', 'legs', 'reference'] = '{}'::jsonb END),
                            false) AS well_formed
              -- each item parsed into jsonb on its own: a small tree, freed with its row
              -- an item larger than any well-formed one is never parsed (its
              -- jsonb tree would be 20 times its size): it stays NULL, malformed
              FROM (SELECT e.ordinality,
                           CASE WHEN octet_length(e.value::text) <= v_max_item_bytes THEN e.value::jsonb END AS value
                      FROM json_array_elements(v_batch) WITH ORDINALITY AS e
                    OFFSET 0) AS i  -- not pulled up: each use of the item would parse it again
        ), legs AS (
            SELECT it.item, it.v, it.well_formed, l.value AS leg, w.id AS wallet_id, w.currency, c.minor_units,
                   CASE WHEN jsonb_typeof(l.value -> 'amount') IN ('string', 'number')
                             AND (l.value ->> 'amount') ~ '^[+-]?[0-9]{1,15}(\.[0-9]{1,18})?$'
                        THEN (l.value ->> 'amount')::numeric END AS amount,
                   -- each leg exactly {"wallet", "amount"}, as in ledger.post_transaction
                   coalesce(CASE WHEN jsonb_typeof(l.value) = 'object' THEN l.value - ARRAY['wallet', 'amount'] = '{}'::jsonb END,
                            false) AS leg_well_formed
              FROM items AS it
              -- An item without legs stays, as one row without a leg; so does an
              -- item of more than max_legs, never expanded (one item of a million
              -- bare legs, 2 MB, took 675 MB before it was refused).
              LEFT JOIN LATERAL jsonb_array_elements(coalesce(CASE WHEN jsonb_typeof(it.v -> 'legs') = 'array' THEN
                                                              CASE WHEN jsonb_array_length(it.v -> 'legs') <= v_max_legs THEN it.v -> 'legs' END
                                                          END, '[]'))
                        AS l ON true
              LEFT JOIN ledger.wallets AS w ON w.code = l.value ->> 'wallet'
              LEFT JOIN ledger.currencies AS c ON c.code = w.currency
            OFFSET 0  -- not pulled up into resolved, which would parse each amount three times (measured: 1.5 s of 100k)
        ), resolved AS (
            SELECT l.item, l.v ->> 'idempotency_key' AS idempotency_key, l.v ->> 'kind' AS kind, l.v ->> 'reference' AS reference,
                   l.wallet_id, l.leg ->> 'wallet' AS code, l.currency, l.leg, l.well_formed, l.leg_well_formed,
                   CASE WHEN l.amount <> 0 AND l.amount = round(l.amount, l.minor_units) THEN round(l.amount, l.minor_units) END AS amount
              FROM legs AS l
        ), per_item AS (
            SELECT r.item,
                   min(r.idempotency_key) AS idempotency_key, min(r.reference) AS reference,
                   ledger_private.fingerprint_of(min(r.kind), min(r.reference),
                                                 jsonb_agg(ledger_private.fingerprint_leg(r.code, r.amount) ORDER BY r.code)
                                                 FILTER (WHERE r.leg IS NOT NULL)) AS fingerprint,
                   nextval('ledger.transactions_id_seq') AS txn,
                   bool_and(r.well_formed) AND count(r.leg) BETWEEN 2 AND v_max_legs AND count(r.amount) = count(*)
                   AND count(DISTINCT r.wallet_id) = count(*) AND bool_and(r.leg_well_formed) AS valid
              FROM resolved AS r GROUP BY r.item
        ), per_currency AS (
            SELECT r.item, sum(r.amount) AS total FROM resolved AS r GROUP BY r.item, r.currency
        )
        SELECT i.items, i.keys, i.refs, i.fingerprints, i.txns, i.ids, i.bad, l.txns, l.wallets, l.amounts
          INTO v_items, v_keys, v_references, v_fingerprints, v_txns, v_ids, v_bad, v_leg_txns, v_leg_wallets, v_leg_amounts
          FROM (SELECT array_agg(q.item) AS items, array_agg(q.idempotency_key) AS keys, array_agg(q.reference) AS refs,
                       array_agg(q.fingerprint) AS fingerprints, array_agg(q.txn) AS txns, array_agg(q.txn ORDER BY q.item) AS ids,
                       min(q.item) FILTER (WHERE NOT q.valid OR q.item IN (SELECT s.item FROM per_currency AS s WHERE s.total <> 0)) AS bad
                  FROM per_item AS q) AS i,
               (SELECT array_agg(p.txn) AS txns, array_agg(r.wallet_id) AS wallets, array_agg(r.amount) AS amounts
                  FROM resolved AS r JOIN per_item AS p ON p.item = r.item) AS l;
    EXCEPTION WHEN untranslatable_character OR numeric_value_out_of_range OR statement_too_complex OR invalid_text_representation THEN
        -- JSON that json takes and jsonb does not: a \u0000 in a string, a
        -- number beyond numeric, an item nested too deep.
        GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT;
        RAISE EXCEPTION 'a batch item is JSON the ledger cannot read: %', v_message
            USING ERRCODE = 'LG014', DETAIL = 'Nothing of the batch was posted.',
                  HINT = 'Strings without \u0000, amounts as decimal strings such as "12.50", legs as {"wallet", "amount"} objects.';
    END;
    IF v_bad IS NOT NULL AND octet_length((v_batch -> (v_bad - 1)::integer)::text) > v_max_item_bytes THEN
        RAISE EXCEPTION 'item % of the batch is larger than % bytes', v_bad, v_max_item_bytes
            USING ERRCODE = 'LG014', DETAIL = format('Item %s has %s bytes of JSON. Nothing of the batch was posted.',
                                                     v_bad, octet_length((v_batch -> (v_bad - 1)::integer)::text)),
                  HINT = format('An item has 2 to %s legs of {"wallet", "amount"}.', v_max_legs);
    END IF;
    IF v_bad IS NOT NULL AND json_typeof(v_batch -> (v_bad - 1)::integer) <> 'object' THEN
        RAISE EXCEPTION 'item % of the batch is not a JSON object', v_bad
            USING ERRCODE = 'LG014', DETAIL = format('Item %s is a JSON %s. Nothing of the batch was posted.', v_bad, json_typeof(v_batch -> (v_bad - 1)::integer)),
                  HINT = 'Each item is {"idempotency_key", "kind": "TRANSFER", "legs", "reference"} and nothing else.';
    END IF;
    IF v_bad IS NOT NULL THEN
        -- post_transaction says precisely what is wrong with the first bad
        -- item; the subtransaction is always rolled back.
        BEGIN
            PERFORM ledger.post_transaction(v_batch -> (v_bad - 1)::integer ->> 'idempotency_key', v_batch -> (v_bad - 1)::integer ->> 'kind',
                                            (v_batch -> (v_bad - 1)::integer -> 'legs')::jsonb, v_batch -> (v_bad - 1)::integer ->> 'reference');
            RAISE EXCEPTION 'item % of the batch is malformed', v_bad
                USING ERRCODE = 'LG014', DETAIL = 'It is not a TRANSFER of the batch form.',
                      HINT = 'Each item is {"idempotency_key", "kind": "TRANSFER", "legs", "reference"} and nothing else.';
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
        END;
        RAISE EXCEPTION 'item % of the batch: %', v_bad, v_message
            USING ERRCODE = CASE WHEN v_state LIKE 'LG%' THEN v_state ELSE 'LG014' END,
                  DETAIL = format('Item %s is %s. Nothing of the batch was posted.', v_bad, left((v_batch -> (v_bad - 1)::integer)::text, 300)),
                  HINT = 'Fix or drop the item and send the batch again; items already posted return their ids.';
    END IF;

    -- Idempotency, exactly as ledger.post_transaction: a key already used
    -- returns its first id when the request is the same. Of two items with
    -- one key the first claims it (and the batch fails below).
    INSERT INTO ledger.idempotency_keys (idempotency_key, operation, request_fingerprint, result_id)
    SELECT DISTINCT ON (t.idempotency_key) t.idempotency_key, 'ledger.post_transaction', t.fingerprint, t.txn
      FROM unnest(v_keys, v_fingerprints, v_txns, v_items) AS t (idempotency_key, fingerprint, txn, item)
     ORDER BY t.idempotency_key, t.item
    ON CONFLICT (idempotency_key) DO NOTHING;
    GET DIAGNOSTICS v_claimed = ROW_COUNT;
    IF v_claimed < cardinality(v_txns) THEN
        -- Not every item is new (when every one is, there is nothing to
        -- compare: measured, 1.6 s of a 100k batch went to finding it out).
        SELECT min(t.idempotency_key) INTO v_conflict
          FROM unnest(v_keys, v_fingerprints, v_txns) AS t (idempotency_key, fingerprint, txn)
          JOIN ledger.idempotency_keys AS k ON k.idempotency_key = t.idempotency_key
         WHERE k.request_fingerprint <> t.fingerprint OR k.operation <> 'ledger.post_transaction'
            OR (k.result_id <> t.txn AND EXISTS (SELECT FROM unnest(v_txns) AS o (txn) WHERE o.txn = k.result_id));
        IF v_conflict IS NOT NULL THEN
            RAISE EXCEPTION 'idempotency key "%" was already used for a different request', v_conflict
                USING ERRCODE = 'LG013', DETAIL = 'A batch item repeats a key with another request, or two items share a key. Nothing of the batch was posted.',
                      HINT = 'A retry must repeat each original request exactly; a new request needs a new key.';
        END IF;
        -- Each item returns the id its key holds; only the items that claimed
        -- their key are posted.
        SELECT array_agg(k.result_id ORDER BY t.item) INTO v_ids
          FROM unnest(v_keys, v_items) AS t (idempotency_key, item)
          JOIN ledger.idempotency_keys AS k ON k.idempotency_key = t.idempotency_key;
        SELECT array_agg(t.txn), array_agg(t.idempotency_key), array_agg(t.reference) INTO v_txns, v_keys, v_references
          FROM unnest(v_txns, v_keys, v_references) AS t (txn, idempotency_key, reference)
         WHERE t.txn IN (SELECT u.id FROM unnest(v_ids) AS u (id));
        SELECT array_agg(l.txn), array_agg(l.wallet_id), array_agg(l.amount) INTO v_leg_txns, v_leg_wallets, v_leg_amounts
          FROM unnest(v_leg_txns, v_leg_wallets, v_leg_amounts) AS l (txn, wallet_id, amount)
         WHERE l.txn IN (SELECT u.txn FROM unnest(v_txns) AS u (txn));
    END IF;

    IF v_txns IS NOT NULL THEN
        INSERT INTO ledger.transactions (id, kind, idempotency_key, reference)
        OVERRIDING SYSTEM VALUE
        SELECT t.txn, 'TRANSFER', t.idempotency_key, t.reference
          FROM unnest(v_txns, v_keys, v_references) AS t (txn, idempotency_key, reference) ORDER BY t.txn;
        PERFORM ledger_private.post_legs(v_leg_txns, v_leg_wallets, v_leg_amounts);
    END IF;
    RETURN v_ids;
END
$$;
COMMENT ON FUNCTION ledger.post_transactions(text) IS 'Batch entry point: posts up to batches.max_items TRANSFERs [{"idempotency_key", "kind": "TRANSFER", "legs": [...], "reference"}, …], at most batches.max_bytes of JSON text (LG019, refused before it is parsed), in one call, set-based, and returns their ids in order; each key behaves as in ledger.post_transaction (a repeated request returns its first id). All or nothing: an invalid item fails the batch with that item''s SQLSTATE.';
REVOKE ALL ON FUNCTION ledger.post_transactions(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.post_transactions(text) TO ledger_app;
