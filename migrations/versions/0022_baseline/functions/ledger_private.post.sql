CREATE OR REPLACE FUNCTION ledger_private.post(
    p_transaction_id bigint, p_kind text, p_idempotency_key text, p_reference text,
    p_wallet_ids bigint[], p_amounts numeric[], p_payment_id bigint DEFAULT NULL, p_refund_id bigint DEFAULT NULL,
    p_payout_id bigint DEFAULT NULL, p_reverses_transaction_id bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
AS $$
BEGIN
    INSERT INTO ledger.transactions (id, kind, idempotency_key, reference, payment_id, refund_id, payout_id,
                                     reverses_transaction_id)
    OVERRIDING SYSTEM VALUE
    VALUES (p_transaction_id, p_kind, p_idempotency_key, p_reference, p_payment_id, p_refund_id, p_payout_id,
            p_reverses_transaction_id);
    PERFORM ledger_private.post_one_transaction(p_transaction_id, p_wallet_ids, p_amounts);
    RETURN p_transaction_id;
END
$$;
COMMENT ON FUNCTION ledger_private.post(bigint, text, text, text, bigint[], numeric[], bigint, bigint, bigint, bigint) IS 'The one posting path of every API: writes the header, linked to the payment, refund, payout or reversed transaction that caused it, and its legs through ledger_private.post_one_transaction, which proves the zero sum.';
