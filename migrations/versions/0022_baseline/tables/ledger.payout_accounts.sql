CREATE TABLE ledger.payout_accounts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    wallet_id        bigint NOT NULL UNIQUE REFERENCES ledger.wallets (id),
    status           text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED')),
    suspended_reason text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ledger.payout_accounts IS 'One payout account per beneficiary wallet, opened on its first payout; a SUSPENDED account gets no new payouts (LG201).';
COMMENT ON COLUMN ledger.payout_accounts.id IS 'Payout account id.';
COMMENT ON COLUMN ledger.payout_accounts.wallet_id IS 'The beneficiary wallet paid out from.';
COMMENT ON COLUMN ledger.payout_accounts.status IS 'ACTIVE or SUSPENDED (by ledger_ops.suspend_payouts).';
COMMENT ON COLUMN ledger.payout_accounts.suspended_reason IS 'Why payouts are suspended.';
COMMENT ON COLUMN ledger.payout_accounts.created_at IS 'When the account was opened.';
COMMENT ON COLUMN ledger.payout_accounts.updated_at IS 'Last status change.';
GRANT SELECT ON ledger.payout_accounts TO ledger_oncall, ledger_auditor;
