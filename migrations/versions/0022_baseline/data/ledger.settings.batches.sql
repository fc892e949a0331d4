INSERT INTO ledger.settings (name, value, description) VALUES
    ('batches.max_bytes', '33554432', 'Most bytes of JSON one call of ledger.post_transactions may send (32 MiB; 100,000 three-leg transfers are about 19 MB); more is refused with LG019 before it is parsed.'),
    ('batches.max_items', '100000', 'Most transfers one call of ledger.post_transactions may send; more is refused with LG019.');
