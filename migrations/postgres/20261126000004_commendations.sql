-- Commendations (issue #4). A substantiated or partially substantiated conclusion opens one, in the same
-- transaction as the conclusion. Amounts, forms, states and times are in clear (the decision is public
-- record); the evidence reference, the decision's reason and the payment reference are sealed under the
-- commendation's own key, which is HPKE-granted to the commendation officers and sealed under the report
-- key (so the reporter reads the decision with the code). A claim's identity and payment details are sealed
-- under a claim key granted to the officers alone: no investigator, supervisor, admin or recovery key holds
-- it. Keep this file and migrations/postgres/ in step.

CREATE TABLE commendations (
    report_id TEXT PRIMARY KEY REFERENCES reports (id),
    -- pending | decided | claimed | paid | no_reward | declined
    status TEXT NOT NULL,
    scheme TEXT NOT NULL,
    currency TEXT NOT NULL,
    -- substantiated | partially_substantiated
    conclusion TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    -- The commendation key, sealed under the report key.
    key_for_reporter BYTEA NOT NULL,
    -- The officer's record: amounts recovered and of the bribe, the evidence reference (sealed), the
    -- scheme's proposal.
    recovered BIGINT,
    bribe BIGINT,
    evidence BYTEA,
    proposed_form TEXT,
    proposed_amount BIGINT,
    proposed_min BIGINT,
    proposed_max BIGINT,
    proposed_at BIGINT,
    -- The decision.
    decided_form TEXT,
    decided_amount BIGINT,
    decided_at BIGINT,
    reason BYTEA,
    -- The reporter's claim: the sealed identity and payment details, when revealed.
    claimed_at BIGINT,
    claim BYTEA,
    -- The payment.
    paid_amount BIGINT,
    paid_at BIGINT,
    payment_reference BYTEA,
    updated_at BIGINT NOT NULL
);

CREATE INDEX commendations_queue ON commendations (status, opened_at, report_id);

-- HPKE grants of a commendation's keys: purpose 'file' (the commendation key) or 'claim' (the claim key).
CREATE TABLE commendation_grants (
    report_id TEXT NOT NULL REFERENCES commendations (report_id),
    purpose TEXT NOT NULL,
    holder TEXT NOT NULL REFERENCES users (id),
    encapped_key BYTEA NOT NULL,
    sealed_key BYTEA NOT NULL,
    PRIMARY KEY (report_id, purpose, holder)
);
