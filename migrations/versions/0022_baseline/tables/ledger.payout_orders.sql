CREATE TABLE ledger.payout_orders (
    order_ref  text PRIMARY KEY CHECK (length(order_ref) BETWEEN 1 AND 200),
    lock_key   integer GENERATED ALWAYS AS IDENTITY UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ledger.payout_orders IS 'Dense keys for orders: payout_once locks ledger_private.payout_lock_key(lock_key), so two orders never share a lock the way a 32-bit hash of their refs could, and no login can predict an order''s lock.';
COMMENT ON COLUMN ledger.payout_orders.order_ref IS 'The order paid out.';
COMMENT ON COLUMN ledger.payout_orders.lock_key IS 'Low half of the bigint advisory lock that orders payout_once callers for this order (the high half is a keyed tag).';
COMMENT ON COLUMN ledger.payout_orders.created_at IS 'First payout attempt of the order.';
GRANT SELECT ON ledger.payout_orders TO ledger_oncall, ledger_auditor;
