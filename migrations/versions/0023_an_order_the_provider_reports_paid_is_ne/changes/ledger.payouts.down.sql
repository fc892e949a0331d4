DROP INDEX CONCURRENTLY IF EXISTS ledger.payouts_failed_per_order;
