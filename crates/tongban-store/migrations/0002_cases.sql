-- Case handling core: workflow templates as data, cases (办件) with their workflow position and deadlines, the
-- hash-chained event log, per-day case numbering, holiday notices loaded after start, and the notification outbox.

CREATE TABLE workflow_templates (
    id {{ID}},
    region_code TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (region_code, code)
);

CREATE TABLE case_sequences (
    region_code TEXT NOT NULL,
    day TEXT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (region_code, day)
);

CREATE TABLE cases (
    id {{ID}},
    region_code TEXT NOT NULL,
    number TEXT NOT NULL,
    item_id BIGINT NOT NULL REFERENCES items (id),
    item_code TEXT NOT NULL,
    item_name TEXT NOT NULL,
    item_version BIGINT NOT NULL,
    department_id BIGINT NOT NULL REFERENCES departments (id),
    workflow_code TEXT NOT NULL,
    applicant_kind TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    applicant_identifier TEXT NOT NULL,
    applicant_phone TEXT NOT NULL,
    agent TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL,
    site_code TEXT NOT NULL DEFAULT '',
    filed_by TEXT NOT NULL,
    state TEXT NOT NULL,
    position TEXT NOT NULL,
    version BIGINT NOT NULL,
    promised_days BIGINT NOT NULL,
    legal_days BIGINT NOT NULL,
    accepted_on TEXT,
    due_date TEXT,
    legal_due_date TEXT,
    due_provisional BIGINT NOT NULL DEFAULT 0,
    suspended_since TEXT,
    suspended_days BIGINT NOT NULL DEFAULT 0,
    form TEXT NOT NULL,
    materials TEXT NOT NULL,
    idempotency_key TEXT,
    request_hash TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT,
    -- The day the result was issued (or the case otherwise ended): what the on-time rate is measured on.
    completed_on TEXT,
    UNIQUE (region_code, number),
    UNIQUE (region_code, idempotency_key)
);
CREATE INDEX cases_department_state ON cases (region_code, department_id, state);
CREATE INDEX cases_due ON cases (region_code, due_date);

CREATE TABLE case_events (
    id {{ID}},
    region_code TEXT NOT NULL,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    seq BIGINT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    at TEXT NOT NULL,
    comment TEXT NOT NULL,
    attachments TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (region_code, case_id, seq)
);

CREATE TABLE case_files (
    id {{ID}},
    region_code TEXT NOT NULL,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    material TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX case_files_case ON case_files (case_id);

-- Lookups by case and by item: the unique keys lead with region_code, so they cannot serve these (measured: the
-- last-event lookup scanned every event, 126 ms at a year's 2.2 million events on SQLite; 0.07 ms with this index).
CREATE INDEX case_events_case ON case_events (case_id, seq);
CREATE INDEX item_versions_item ON item_versions (item_id, version);

CREATE TABLE calendar_notices (
    year BIGINT PRIMARY KEY,
    source TEXT NOT NULL,
    definition TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    loaded_by TEXT NOT NULL
);

CREATE TABLE outbox (
    id {{ID}},
    region_code TEXT NOT NULL,
    case_id BIGINT REFERENCES cases (id),
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    delivered_at TEXT,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending ON outbox (delivered_at, next_attempt_at);
