CREATE OR REPLACE FUNCTION ledger.run_settlement_batch(p_run_date date)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, ledger, ledger_private, pg_temp
AS $$
DECLARE
    v_batch   bigint;
    v_order   record;
    v_payout  record;
    v_state   text;
    v_message text;
BEGIN
    PERFORM ledger_private.require_arguments('ledger.run_settlement_batch', jsonb_build_object('p_run_date', p_run_date IS NULL));
    IF NOT isfinite(p_run_date) THEN
        RAISE EXCEPTION 'settlement batch for % is not a day', p_run_date
            USING ERRCODE = 'LG015', DETAIL = 'The run date must be a calendar day, not infinity.',
                  HINT = 'Pass the UTC day whose captures to pay, e.g. current_date - 1.';
    END IF;
    PERFORM ledger_private.require_enabled('payouts');
    INSERT INTO ledger.settlement_batches (run_date) VALUES (p_run_date) RETURNING id INTO v_batch;

    -- Every order captured that UTC day, net of its fee and of refunds
    -- requested or done; payout_once is the guard against paying twice.
    -- Beneficiaries on-call froze or suspended wait for a later run.
    FOR v_order IN
        SELECT p.order_ref, w.code AS payee,
               sum(p.amount - p.platform_fee - p.refunds_reserved + p.fee_refunded) AS amount
          FROM ledger.payments AS p
          JOIN ledger.wallets AS w ON w.id = p.payee_wallet_id
         WHERE p.status IN ('CAPTURED', 'PARTIALLY_REFUNDED')
           AND w.status = 'ACTIVE'
           AND NOT EXISTS (SELECT FROM ledger.payout_accounts AS a WHERE a.wallet_id = w.id AND a.status = 'SUSPENDED')
           AND p.captured_at >= p_run_date::timestamp AT TIME ZONE 'UTC'
           AND p.captured_at < (p_run_date + 1)::timestamp AT TIME ZONE 'UTC'
         GROUP BY p.order_ref, w.code
        HAVING sum(p.amount - p.platform_fee - p.refunds_reserved + p.fee_refunded) > 0
         ORDER BY p.order_ref
    LOOP
        -- One order the ledger refuses (a vendor short of funds, frozen or
        -- suspended since the query, a lock held too long) is skipped with
        -- its reason; everyone else is still paid tonight.
        BEGIN
            SELECT * INTO v_payout FROM ledger.payout_once(v_order.order_ref, v_order.payee, v_order.amount, 'BATCH');
        EXCEPTION WHEN SQLSTATE 'LG008' OR SQLSTATE 'LG009' OR SQLSTATE 'LG010' OR SQLSTATE 'LG201'
                    OR SQLSTATE 'LG206' OR SQLSTATE 'LG207' OR SQLSTATE 'LG208' THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
            INSERT INTO ledger.settlement_batch_refusals (batch_id, order_ref, sqlstate, reason)
            VALUES (v_batch, v_order.order_ref, v_state, left(v_message, 500))
            ON CONFLICT (batch_id, order_ref) DO NOTHING;
            CONTINUE;
        END;
        INSERT INTO ledger.settlement_batch_items (batch_id, order_ref, payout_id, created)
        VALUES (v_batch, v_order.order_ref, v_payout.payout_id, v_payout.created)
        ON CONFLICT (batch_id, order_ref) DO NOTHING;
        IF v_payout.created THEN
            UPDATE ledger.payouts AS p SET settlement_batch_id = v_batch WHERE p.id = v_payout.payout_id;
        END IF;
    END LOOP;

    UPDATE ledger.settlement_batches AS b
       SET payouts_created = (SELECT count(*) FROM ledger.settlement_batch_items AS i WHERE i.batch_id = v_batch AND i.created),
           payouts_existing = (SELECT count(*) FROM ledger.settlement_batch_items AS i WHERE i.batch_id = v_batch AND NOT i.created),
           payouts_refused = (SELECT count(*) FROM ledger.settlement_batch_refusals AS r WHERE r.batch_id = v_batch),
           amount_created = coalesce((SELECT sum(po.amount) FROM ledger.settlement_batch_items AS i
                                        JOIN ledger.payouts AS po ON po.id = i.payout_id
                                       WHERE i.batch_id = v_batch AND i.created), 0),
           finished_at = clock_timestamp()
     WHERE b.id = v_batch;
    RETURN v_batch;
END
$$;
COMMENT ON FUNCTION ledger.run_settlement_batch(date) IS 'The nightly settlement: pays every order captured on p_run_date (UTC), net of fee and refunds, through ledger.payout_once (source BATCH), and records the batch and each order with created true/false. Running it again pays nothing twice. Frozen wallets and suspended payout accounts are skipped (their orders wait for a later run); an order the ledger refuses to pay (LG008 LG009 LG010 LG201 LG206 LG207 LG208) is recorded with its reason in ledger.settlement_batch_refusals and the rest are paid (ledger_check.settlement_refusals).';
REVOKE ALL ON FUNCTION ledger.run_settlement_batch(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.run_settlement_batch(date) TO ledger_app;
