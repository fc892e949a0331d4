CREATE TABLE ledger_private.lock_secret (
    one_row boolean PRIMARY KEY DEFAULT true CHECK (one_row),
    secret  bytea NOT NULL CHECK (length(secret) >= 32)
);
COMMENT ON TABLE ledger_private.lock_secret IS 'The key that makes payout advisory-lock keys unpredictable (ledger_private.payout_lock_key): drawn at install, readable by ledger_owner alone. Any login may take any advisory lock, so a key a stranger could compute is a key a stranger could hold against a payout.';
COMMENT ON COLUMN ledger_private.lock_secret.one_row IS 'There is one secret.';
COMMENT ON COLUMN ledger_private.lock_secret.secret IS '32 random bytes.';
