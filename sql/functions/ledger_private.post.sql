CREATE OR REPLACE FUNCTION ledger_private.post(
    p_transaction_id bigint, p_kind text, p_idempotency_key text, p_reference text,
    p_wallet_ids bigint[], p_amounts numeric[])
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
AS $$
BEGIN
    INSERT INTO ledger.transactions (id, kind, idempotency_key, reference)
    OVERRIDING SYSTEM VALUE
    VALUES (p_transaction_id, p_kind, p_idempotency_key, p_reference);
    -- Legs go in wallet order, so two postings that touch the same wallets
    -- lock their buckets in the same order and never deadlock.
    INSERT INTO ledger.entries (transaction_id, wallet_id, amount)
    SELECT p_transaction_id, l.wallet_id, l.amount
      FROM unnest(p_wallet_ids, p_amounts) AS l (wallet_id, amount)
     ORDER BY l.wallet_id;
    RETURN p_transaction_id;
END
$$;
COMMENT ON FUNCTION ledger_private.post(bigint, text, text, text, bigint[], numeric[]) IS 'The one posting path of every API: writes the header and its legs in wallet-id order (deadlock-free); the entry triggers validate and apply them, the deferred trigger checks the zero sum.';
