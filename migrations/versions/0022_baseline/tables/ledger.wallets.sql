CREATE TABLE ledger.wallets (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code           text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_:.@-]{0,99}$'),
    kind           text NOT NULL CHECK (kind IN ('USER', 'MERCHANT', 'VENDOR', 'COURIER', 'PLATFORM', 'PROVIDER', 'SUSPENSE', 'EXTERNAL')),
    currency       text NOT NULL REFERENCES ledger.currencies (code),
    status         text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'FROZEN', 'CLOSED')),
    freeze_mode    text CHECK (freeze_mode IN ('FULL', 'DEBITS')),
    allow_negative boolean NOT NULL DEFAULT false,
    bucket_count   smallint NOT NULL DEFAULT 1 CHECK (bucket_count BETWEEN 1 AND 64),
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text NOT NULL DEFAULT session_user,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT wallets_freeze_mode_iff_frozen CHECK ((status = 'FROZEN') = (freeze_mode IS NOT NULL)),
    frozen_until   timestamptz,
    CONSTRAINT wallets_frozen_until_only_when_frozen CHECK (frozen_until IS NULL OR status = 'FROZEN')
);
COMMENT ON TABLE ledger.wallets IS 'Wallets: one currency each; never deleted (close them). Balance lives in ledger.wallet_buckets; a FROZEN or CLOSED wallet takes no entries.';
COMMENT ON COLUMN ledger.wallets.id IS 'Surrogate key referenced by entries.';
COMMENT ON COLUMN ledger.wallets.code IS 'Human-readable unique code used by the API, e.g. PLATFORM_MAIN or vendor:42. Never changes.';
COMMENT ON COLUMN ledger.wallets.kind IS 'USER, MERCHANT, VENDOR, COURIER, PLATFORM, PROVIDER, SUSPENSE or EXTERNAL. Never changes.';
COMMENT ON COLUMN ledger.wallets.currency IS 'The only currency of the wallet''s entries. Never changes.';
COMMENT ON COLUMN ledger.wallets.status IS 'ACTIVE takes entries; FROZEN takes none (FULL) or credits only (DEBITS); CLOSED (only at zero balance) takes none, for good.';
COMMENT ON COLUMN ledger.wallets.freeze_mode IS 'Set exactly while FROZEN: FULL refuses every entry, DEBITS still lets credits land.';
COMMENT ON COLUMN ledger.wallets.frozen_until IS 'When a freeze ends by itself (NULL: until ledger_ops.unfreeze_wallet); after it the wallet takes entries again.';
COMMENT ON COLUMN ledger.wallets.allow_negative IS 'When false the balance never goes below zero, under any concurrency. Never changes.';
COMMENT ON COLUMN ledger.wallets.bucket_count IS 'Number of balance buckets; more than one lets concurrent postings to a hot wallet proceed in parallel. May only grow.';
COMMENT ON COLUMN ledger.wallets.created_at IS 'When the wallet was created.';
COMMENT ON COLUMN ledger.wallets.created_by IS 'Session user that created the wallet.';
COMMENT ON COLUMN ledger.wallets.updated_at IS 'Last change of status.';
GRANT SELECT ON ledger.wallets TO ledger_oncall, ledger_auditor;
