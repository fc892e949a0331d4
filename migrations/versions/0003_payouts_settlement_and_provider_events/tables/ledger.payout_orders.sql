CREATE TABLE ledger.payout_orders (
    order_ref  text PRIMARY KEY CHECK (length(order_ref) BETWEEN 1 AND 200),
    lock_key   integer GENERATED ALWAYS AS IDENTITY UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ledger.payout_orders IS 'Dense advisory-lock keys for orders: payout_once locks (namespace 0x4C470001, lock_key), so two orders never share a lock the way a 32-bit hash of their refs could.';
COMMENT ON COLUMN ledger.payout_orders.order_ref IS 'The order paid out.';
COMMENT ON COLUMN ledger.payout_orders.lock_key IS 'Second key of the two-int advisory lock that orders payout_once callers for this order.';
COMMENT ON COLUMN ledger.payout_orders.created_at IS 'First payout attempt of the order.';
GRANT SELECT ON ledger.payout_orders TO ledger_oncall, ledger_auditor;
