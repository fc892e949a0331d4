-- The payouts of an order the ledger failed or cancelled, which payout_once locks before a new payout (LG208).
CREATE INDEX CONCURRENTLY payouts_failed_per_order ON ledger.payouts (order_ref) WHERE status IN ('FAILED', 'CANCELLED');
