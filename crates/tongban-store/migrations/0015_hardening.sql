-- Hardening: outbox messages are claimed by one server at a time (several instances share one database), and
-- request counters per client address and account for throttling, shared by every instance.
ALTER TABLE outbox ADD COLUMN claim TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;

CREATE TABLE throttle (
    bucket TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- The head of each case's event chain, kept on the case row in the same transaction as the event: a history cut
-- short, deleted whole, or a state changed without an event no longer matches it.
ALTER TABLE cases ADD COLUMN event_head TEXT NOT NULL DEFAULT '';
UPDATE cases SET event_head = COALESCE((SELECT e.hash FROM case_events e WHERE e.case_id = cases.id ORDER BY e.seq DESC LIMIT 1), '');

-- Signed checkpoints: each folds the hashes of the events written since the previous one into a running digest,
-- signed with the deployment's Ed25519 key, which is kept outside the database.
-- Each checkpoint continues from the previous one's last event: two servers signing at once cannot both continue
-- from the same one.
CREATE TABLE audit_checkpoints (
    id {{ID}},
    after_event_id BIGINT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    last_event_id BIGINT NOT NULL,
    events BIGINT NOT NULL,
    digest TEXT NOT NULL,
    signature TEXT NOT NULL
);
