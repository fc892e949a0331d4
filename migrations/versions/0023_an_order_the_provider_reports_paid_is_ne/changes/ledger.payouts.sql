-- The payouts the ledger failed and the provider reports paid, which payout_once reads before a new payout (LG208).
CREATE INDEX CONCURRENTLY payouts_paid_by_provider_after_failure ON ledger.payouts (order_ref) WHERE provider_state = 'succeeded' AND status IN ('FAILED', 'CANCELLED');
