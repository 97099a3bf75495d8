-- 政务公开: the standard catalog of basic-level disclosure, items of information published under it ("谁发布、谁负责":
-- author and approver both kept), requests for disclosure (依申请公开) with their append-only history, and the
-- administrative reconsiderations and lawsuits about disclosure that the annual report counts. Dates a deadline or a
-- report counts on (`*_on`) are local dates YYYY-MM-DD; instants are UTC text like every other table.

CREATE TABLE disclosure_catalog (
    id {{ID}},
    region_code TEXT NOT NULL,
    code TEXT NOT NULL,
    level1 TEXT NOT NULL,
    level2 TEXT NOT NULL,
    content TEXT NOT NULL,
    basis TEXT NOT NULL,
    time_limit TEXT NOT NULL,
    subject TEXT NOT NULL,
    channels TEXT NOT NULL,
    object TEXT NOT NULL,
    method TEXT NOT NULL,
    level TEXT NOT NULL,
    position BIGINT NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (region_code, code)
);

CREATE TABLE disclosure_items (
    id {{ID}},
    region_code TEXT NOT NULL,
    department_id BIGINT NOT NULL REFERENCES departments (id),
    catalog_code TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    -- '' for ordinary information; 'regulation' (规章) or 'normative' (行政规范性文件): counted in the annual report.
    doc_kind TEXT NOT NULL DEFAULT '',
    doc_number TEXT NOT NULL DEFAULT '',
    -- draft, returned, published, repealed
    state TEXT NOT NULL,
    author TEXT NOT NULL,
    approver TEXT,
    return_note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    published_at TEXT,
    published_on TEXT,
    repealed_on TEXT
);
CREATE INDEX disclosure_items_public ON disclosure_items (region_code, state, published_on);
CREATE INDEX disclosure_items_department ON disclosure_items (region_code, department_id, state);

CREATE TABLE disclosure_sequences (
    region_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (region_code, year)
);

CREATE TABLE disclosure_requests (
    id {{ID}},
    region_code TEXT NOT NULL,
    number TEXT NOT NULL,
    department_id BIGINT NOT NULL REFERENCES departments (id),
    -- person, or organisation with org_kind: commercial, research, social, legal, other
    applicant_kind TEXT NOT NULL,
    org_kind TEXT NOT NULL DEFAULT '',
    applicant_name TEXT NOT NULL,
    applicant_identifier TEXT NOT NULL,
    phone TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL,
    purpose TEXT NOT NULL DEFAULT '',
    -- paper, email, pickup
    delivery TEXT NOT NULL,
    -- online, letter, window
    channel TEXT NOT NULL,
    -- received, correction, consulting, replied
    state TEXT NOT NULL,
    received_on TEXT NOT NULL,
    -- The day the 20 working days count from: receipt, or the day the correction came in.
    clock_start TEXT NOT NULL,
    extended_days BIGINT NOT NULL DEFAULT 0,
    suspended_days BIGINT NOT NULL DEFAULT 0,
    suspended_since TEXT,
    due_date TEXT NOT NULL,
    due_provisional BIGINT NOT NULL DEFAULT 0,
    correction_on TEXT,
    reply_kind TEXT,
    reply_ground TEXT,
    reply_text TEXT NOT NULL DEFAULT '',
    refer_to TEXT NOT NULL DEFAULT '',
    replied_on TEXT,
    replied_by TEXT,
    filed_by TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (region_code, number)
);
CREATE INDEX disclosure_requests_due ON disclosure_requests (region_code, state, due_date);

CREATE TABLE disclosure_request_events (
    id {{ID}},
    request_id BIGINT NOT NULL REFERENCES disclosure_requests (id),
    seq BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    day TEXT NOT NULL,
    at TEXT NOT NULL,
    detail TEXT NOT NULL,
    UNIQUE (request_id, seq)
);

CREATE TABLE disclosure_appeals (
    id {{ID}},
    region_code TEXT NOT NULL,
    department_id BIGINT NOT NULL REFERENCES departments (id),
    -- reconsideration (行政复议), litigation (未经复议直接起诉), litigation_after (复议后起诉)
    kind TEXT NOT NULL,
    request_number TEXT NOT NULL DEFAULT '',
    filed_on TEXT NOT NULL,
    -- upheld (维持), corrected (纠正), other (其他结果); NULL while pending (尚未审结)
    result TEXT,
    decided_on TEXT,
    recorded_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- The written sections of an annual report (五、存在的主要问题及改进情况; 六、其他需要报告的事项), per year and scope
-- ('' for the district, else a department code); the tables are always computed from the data.
CREATE TABLE disclosure_report_texts (
    region_code TEXT NOT NULL,
    scope TEXT NOT NULL,
    year BIGINT NOT NULL,
    problems TEXT NOT NULL,
    other_matters TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (region_code, scope, year)
);
