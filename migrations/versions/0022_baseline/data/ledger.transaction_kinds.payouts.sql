INSERT INTO ledger.transaction_kinds (kind, posted_by, description) VALUES
    ('PAYOUT_CORRECTION', 'ledger.record_provider_event', 'The provider reported another amount than was paid out: the difference, back to (or from) the beneficiary.');
