CREATE TABLE ledger.provider_events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider        text NOT NULL CHECK (length(provider) BETWEEN 1 AND 100),
    merchant_ref    text NOT NULL,
    source_event_id text NOT NULL CHECK (length(source_event_id) BETWEEN 1 AND 200),
    event_seq       bigint NOT NULL,
    payout_id       bigint NOT NULL REFERENCES ledger.payouts (id),
    provider_ref    text,
    state           text NOT NULL CHECK (state IN ('created', 'submitted', 'succeeded', 'failed')),
    amount          numeric NOT NULL CHECK (amount >= 0 AND amount <> 'NaN' AND amount <> 'Infinity'),
    currency        text NOT NULL,
    payload         jsonb NOT NULL DEFAULT '{}',
    outcome         text NOT NULL CHECK (outcome IN ('APPLIED', 'STALE')),
    received_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT provider_events_once UNIQUE (provider, source_event_id)
);
CREATE INDEX provider_events_payout_id ON ledger.provider_events (payout_id, event_seq);
CREATE INDEX provider_events_received_at_brin ON ledger.provider_events USING brin (received_at) WITH (autosummarize = on);
COMMENT ON TABLE ledger.provider_events IS 'Every distinct provider callback, stored once per (provider, source_event_id); outcome says whether it superseded the payout''s state (APPLIED) or arrived after a higher sequence (STALE). Append-only.';
COMMENT ON COLUMN ledger.provider_events.id IS 'Event row id.';
COMMENT ON COLUMN ledger.provider_events.provider IS 'Payout provider name.';
COMMENT ON COLUMN ledger.provider_events.merchant_ref IS 'The beneficiary as the provider knows it; must be the payout''s.';
COMMENT ON COLUMN ledger.provider_events.source_event_id IS 'The provider''s event id; a replay is a no-op.';
COMMENT ON COLUMN ledger.provider_events.event_seq IS 'The provider''s sequence for the payout; the highest applied wins.';
COMMENT ON COLUMN ledger.provider_events.payout_id IS 'Our payout id, echoed by the provider.';
COMMENT ON COLUMN ledger.provider_events.provider_ref IS 'The provider''s reference, when it sent one.';
COMMENT ON COLUMN ledger.provider_events.state IS 'created, submitted, succeeded or failed.';
COMMENT ON COLUMN ledger.provider_events.amount IS 'Amount the provider reports.';
COMMENT ON COLUMN ledger.provider_events.currency IS 'Currency the provider reports.';
COMMENT ON COLUMN ledger.provider_events.payload IS 'The raw callback.';
COMMENT ON COLUMN ledger.provider_events.outcome IS 'APPLIED or STALE.';
COMMENT ON COLUMN ledger.provider_events.received_at IS 'When it arrived.';
GRANT SELECT ON ledger.provider_events TO ledger_oncall, ledger_auditor;
