INSERT INTO ledger.transaction_kinds (kind, posted_by, description) VALUES
    ('TRANSFER', 'ledger.post_transaction', 'A generic balanced posting between wallets.'),
    ('PAYMENT_CAPTURE', 'ledger.capture_payment', 'Payer debit, payee credit net of fee, platform fee credit.'),
    ('REFUND', 'ledger.process_refund', 'Money returned to the payer from the payee (and the platform fee when refunded).'),
    ('PAYOUT', 'ledger.payout_once', 'Beneficiary debited into payouts in transit.'),
    ('PAYOUT_COMPLETION', 'ledger.complete_payout', 'Payouts in transit moved to the provider.'),
    ('PAYOUT_RETURN', 'ledger.fail_payout', 'A failed payout returned to the beneficiary.'),
    ('ADJUSTMENT', 'ledger_ops.post_adjustment', 'On-call correction balanced against SUSPENSE.'),
    ('REVERSAL', 'ledger_ops.reverse_transaction', 'Mirror legs of an earlier transaction.');
