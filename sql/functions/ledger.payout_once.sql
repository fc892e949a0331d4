CREATE OR REPLACE FUNCTION ledger.payout_once(
    p_order_ref text, p_beneficiary text, p_amount numeric, p_source text DEFAULT 'MANUAL')
RETURNS TABLE (payout_id bigint, created boolean, status text)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_wallet   ledger.wallets;
    v_account  ledger.payout_accounts;
    v_amount   numeric;
    v_lock_key bigint;
    v_timeout  text;
    v_wait     text;
    v_created  boolean;
    v_status   text;
    v_existing ledger.payouts;
    v_id       bigint;
    v_txn      bigint;
    v_key      text;
BEGIN
    PERFORM ledger_private.require_arguments('ledger.payout_once', jsonb_build_object(
        'p_order_ref', p_order_ref IS NULL, 'p_beneficiary', p_beneficiary IS NULL,
        'p_amount', p_amount IS NULL, 'p_source', p_source IS NULL));
    IF length(p_order_ref) NOT BETWEEN 1 AND 200 OR p_source NOT IN ('MANUAL', 'BATCH', 'RETRY') THEN
        RAISE EXCEPTION 'payout of order % from %: invalid order ref or source %', left(p_order_ref, 200), left(p_beneficiary, 100), quote_literal(left(p_source, 40))
            USING ERRCODE = 'LG015', DETAIL = 'The order ref is 1-200 characters; the source is MANUAL, BATCH or RETRY.',
                  HINT = 'Pass the order being paid and who is paying it out.';
    END IF;
    PERFORM ledger_private.require_enabled('payouts');
    SELECT * INTO v_wallet FROM ledger.wallets AS w WHERE w.id = ledger_private.wallet_id(p_beneficiary);
    -- Money leaves the platform only to a beneficiary that holds its own
    -- money: never one of the ledger's own wallets, never a wallet that may
    -- go negative (its payout would be paid from nothing).
    IF v_wallet.kind IN ('PLATFORM', 'SUSPENSE', 'PROVIDER') OR v_wallet.allow_negative
       OR ledger_private.is_system_wallet_code(v_wallet.code) THEN
        RAISE EXCEPTION 'wallet "%" cannot be paid out', v_wallet.code
            USING ERRCODE = 'LG207',
                  DETAIL = format('It is a %s wallet%s.', v_wallet.kind,
                                  CASE WHEN v_wallet.allow_negative THEN ' that may go negative' ELSE ' of the ledger''s own' END),
                  HINT = 'Pay out to the merchant, vendor, courier or user wallet that earned the money.';
    END IF;
    v_amount := ledger_private.check_positive_amount(p_amount, v_wallet.currency, format('payout amount of order %s', p_order_ref));

    -- Every wait of this call is bounded: the order's lock, the first
    -- payout of a new order or account racing another, the beneficiary's
    -- balance row held by an open transaction. Each takes at most
    -- payouts.lock_wait (or the caller's own shorter lock_timeout), then the
    -- call refuses with LG206, which the caller retries: whoever holds a
    -- lock, a payout (and the settlement batch behind it) never waits without
    -- limit.
    v_timeout := current_setting('lock_timeout');
    v_wait := CASE WHEN v_timeout <> '0' AND v_timeout::interval < ledger_private.setting('payouts.lock_wait')::interval
                   THEN v_timeout
                   ELSE (extract(epoch FROM ledger_private.setting('payouts.lock_wait')::interval) * 1000)::bigint || 'ms' END;
    BEGIN
        PERFORM set_config('lock_timeout', v_wait, true);
        -- Order the callers of one order: a key of its own that no login can
        -- predict (ledger_private.payout_lock_key). The lock only orders; the
        -- unique index guards. An order seen before takes no number from the
        -- key sequence (an INSERT that conflicts still would: retries would
        -- use up its 2^31 keys).
        SELECT ledger_private.payout_lock_key(o.lock_key) INTO v_lock_key FROM ledger.payout_orders AS o WHERE o.order_ref = p_order_ref;
        IF NOT FOUND THEN
            INSERT INTO ledger.payout_orders AS o (order_ref) VALUES (p_order_ref) ON CONFLICT (order_ref) DO NOTHING;
            SELECT ledger_private.payout_lock_key(o.lock_key) INTO STRICT v_lock_key
              FROM ledger.payout_orders AS o WHERE o.order_ref = p_order_ref;
        END IF;
        PERFORM pg_advisory_xact_lock(v_lock_key);

        SELECT * INTO v_existing FROM ledger.payouts AS p
         WHERE p.order_ref = p_order_ref AND p.status NOT IN ('FAILED', 'CANCELLED');
        IF FOUND THEN
            v_id := v_existing.id;
            v_created := false;
            v_status := v_existing.status;
        ELSE
            -- An earlier payout the ledger failed but the provider last reported paid: the order may be paid
            -- already, and a new payout would pay it twice. Its money went back to the beneficiary when it
            -- failed; only the provider knows which is true. The earlier payouts are locked FOR SHARE, so a
            -- provider report on one of them still in flight is waited for and then read (READ COMMITTED), or
            -- fails this call to serialize (40001, REPEATABLE READ and up) when it committed after the snapshot.
            FOR v_existing IN SELECT * FROM ledger.payouts AS p
                               WHERE p.order_ref = p_order_ref AND p.status IN ('FAILED', 'CANCELLED')
                               ORDER BY p.id FOR SHARE LOOP
                EXIT WHEN v_existing.provider_state = 'succeeded';
            END LOOP;
            IF v_existing.provider_state = 'succeeded' THEN
                RAISE EXCEPTION 'order % may be paid already: the provider reports payout % succeeded, which the ledger %',
                                p_order_ref, v_existing.id, lower(v_existing.status)
                    USING ERRCODE = 'LG208',
                          DETAIL = format('Payout %s of %s %s is %s in the ledger (its money went back to %s), but the provider''s latest report on it is succeeded (ref %s); nothing was written.',
                                          v_existing.id, v_existing.amount, v_existing.currency, v_existing.status, v_existing.merchant_ref,
                                          coalesce(v_existing.provider_ref, 'none')),
                          HINT = 'Ask the provider. Its later report that the payout failed lets the order be paid again; ledger_check.provider_vs_internal lists the payout meanwhile.';
            END IF;
            INSERT INTO ledger.payout_accounts AS a (wallet_id) VALUES (v_wallet.id) ON CONFLICT (wallet_id) DO NOTHING;
            SELECT * INTO STRICT v_account FROM ledger.payout_accounts AS a WHERE a.wallet_id = v_wallet.id;

            v_id := nextval('ledger.payouts_id_seq');
            v_txn := nextval('ledger.transactions_id_seq');
            v_key := format('payout:%s:%s', p_order_ref, v_id);
            PERFORM ledger_private.post(v_txn, 'PAYOUT', v_key, p_order_ref,
                ARRAY[v_wallet.id, ledger_private.system_wallet('PAYOUTS_IN_TRANSIT', v_wallet.currency)],
                ARRAY[-v_amount, v_amount], p_payout_id => v_id);
            -- Under REPEATABLE READ a payout committed after our snapshot is
            -- invisible above; this insert then fails to serialize (40001)
            -- instead of doubling, and the posting above rolls back with it.
            INSERT INTO ledger.payouts AS p (id, order_ref, payout_account_id, beneficiary_wallet_id, merchant_ref, currency, amount,
                                             provider_amount, source, idempotency_key, transaction_id)
            OVERRIDING SYSTEM VALUE
            VALUES (v_id, p_order_ref, v_account.id, v_wallet.id, v_wallet.code, v_wallet.currency, v_amount, v_amount,
                    p_source, v_key, v_txn)
            ON CONFLICT (order_ref) WHERE status NOT IN ('FAILED', 'CANCELLED') DO NOTHING;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'order % got a live payout from a concurrent caller', p_order_ref
                    USING ERRCODE = '40001',
                          DETAIL = 'The payout committed while this call waited; nothing was written.',
                          HINT = 'Retry the call: it will return the existing payout with created = false.';
            END IF;
            v_created := true;
            v_status := 'PENDING';
        END IF;
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION 'payout of order % is busy: another call holds a lock it needs', left(p_order_ref, 200)
            USING ERRCODE = 'LG206',
                  DETAIL = format('Waited %s for a lock (the order''s, its new payout account''s or the beneficiary''s balance); nothing was written.', v_wait),
                  HINT = 'Retry the call: it returns the payout the other call made, or makes it. ledger_check.lock_waits shows who holds it.';
    END;
    PERFORM set_config('lock_timeout', v_timeout, true);
    RETURN QUERY SELECT v_id, v_created, v_status;
END
$$;
COMMENT ON FUNCTION ledger.payout_once(text, text, numeric, text) IS 'Pays an order out at most once: concurrent callers for one order get the one live payout (created = false for all but one), at every isolation level; the beneficiary is debited into PAYOUTS_IN_TRANSIT. The payout account is opened on first use; SUSPENDED: LG201. Errors: LG001 LG002 LG003 LG006 LG008 LG010 LG015 LG108 LG207 (not a beneficiary), LG208 (the provider reports an earlier payout of the order paid), LG206 and 40001 (retry).';
REVOKE ALL ON FUNCTION ledger.payout_once(text, text, numeric, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.payout_once(text, text, numeric, text) TO ledger_app;
