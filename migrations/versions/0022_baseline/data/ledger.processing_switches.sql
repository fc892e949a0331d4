INSERT INTO ledger.processing_switches (scope) VALUES ('payments'), ('refunds'), ('payouts');
