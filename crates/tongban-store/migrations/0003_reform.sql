-- Approval-reform services: applicants signing in with a code sent to their phone, tolerance acceptance with its
-- commitments and credit records, bundle applications, partner regions and delegated powers, helper pairings,
-- ratings with their rectification tasks, and signed e-licences.

CREATE TABLE applicant_codes (
    id {{ID}},
    region_code TEXT NOT NULL,
    identifier TEXT NOT NULL,
    phone TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    used_at TEXT
);
CREATE INDEX applicant_codes_who ON applicant_codes (region_code, identifier, phone);

CREATE TABLE applicant_sessions (
    token_hash TEXT PRIMARY KEY,
    region_code TEXT NOT NULL,
    identifier TEXT NOT NULL,
    phone TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

ALTER TABLE departments ADD COLUMN credit_code TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN bundle_case_id BIGINT;
ALTER TABLE cases ADD COLUMN licence_id TEXT;
ALTER TABLE cases ADD COLUMN tolerance BIGINT NOT NULL DEFAULT 0;
CREATE INDEX cases_applicant ON cases (region_code, applicant_identifier);
CREATE INDEX cases_bundle ON cases (bundle_case_id);

-- 容缺受理: what was missing at acceptance and by when it must arrive.
CREATE TABLE commitments (
    id {{ID}},
    region_code TEXT NOT NULL,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    applicant_kind TEXT NOT NULL,
    applicant_identifier TEXT NOT NULL,
    materials TEXT NOT NULL,
    due_date TEXT NOT NULL,
    state TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    settled_at TEXT,
    UNIQUE (region_code, case_id)
);
CREATE INDEX commitments_due ON commitments (region_code, state, due_date);

-- 失信记录: a broken commitment; open until an administrator clears it with a reason.
CREATE TABLE credit_records (
    id {{ID}},
    region_code TEXT NOT NULL,
    applicant_kind TEXT NOT NULL,
    applicant_identifier TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    case_id BIGINT REFERENCES cases (id),
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    cleared_at TEXT,
    cleared_by TEXT,
    cleared_reason TEXT
);
CREATE INDEX credit_records_who ON credit_records (region_code, applicant_identifier);

-- 一件事一次办: one application whose sub-cases (cases.bundle_case_id) run in parallel.
CREATE TABLE bundle_cases (
    id {{ID}},
    region_code TEXT NOT NULL,
    number TEXT NOT NULL,
    bundle_code TEXT NOT NULL,
    bundle_name TEXT NOT NULL,
    applicant_kind TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    applicant_identifier TEXT NOT NULL,
    applicant_phone TEXT NOT NULL,
    channel TEXT NOT NULL,
    site_code TEXT NOT NULL DEFAULT '',
    filed_by TEXT NOT NULL,
    form TEXT NOT NULL,
    materials TEXT NOT NULL,
    delivery TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    UNIQUE (region_code, number)
);

-- 跨省通办 partners and the items agreed with each.
CREATE TABLE partner_regions (
    id {{ID}},
    region_code TEXT NOT NULL,
    partner_code TEXT NOT NULL,
    partner_name TEXT NOT NULL,
    agreement TEXT NOT NULL DEFAULT '',
    UNIQUE (region_code, partner_code)
);

CREATE TABLE partner_items (
    region_code TEXT NOT NULL,
    partner_code TEXT NOT NULL,
    item_code TEXT NOT NULL,
    PRIMARY KEY (region_code, partner_code, item_code)
);

-- 赋权: an item's power handed to a park, town or village from a date on a document; undone on another.
CREATE TABLE delegations (
    id {{ID}},
    region_code TEXT NOT NULL,
    item_code TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_code TEXT NOT NULL,
    target_name TEXT NOT NULL,
    delegated_by TEXT NOT NULL,
    from_date TEXT NOT NULL,
    document TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    revoked_on TEXT,
    revoke_document TEXT,
    revoked_by TEXT
);
CREATE INDEX delegations_item ON delegations (region_code, item_code);

-- 帮代办: a helper (staff member) or a window unit paired with an enterprise.
CREATE TABLE helper_pairs (
    id {{ID}},
    region_code TEXT NOT NULL,
    credit_code TEXT NOT NULL,
    enterprise_name TEXT NOT NULL,
    helper TEXT NOT NULL,
    since TEXT NOT NULL,
    ended_at TEXT,
    recorded_by TEXT NOT NULL
);
CREATE INDEX helper_pairs_enterprise ON helper_pairs (region_code, credit_code);

-- 好差评: one rating per case (一事一评) or per window visit (一次一评, case_id NULL).
CREATE TABLE ratings (
    id {{ID}},
    region_code TEXT NOT NULL,
    case_id BIGINT REFERENCES cases (id),
    department_id BIGINT REFERENCES departments (id),
    item_code TEXT NOT NULL DEFAULT '',
    window_code TEXT NOT NULL DEFAULT '',
    level BIGINT NOT NULL,
    comment TEXT NOT NULL,
    channel TEXT NOT NULL,
    rater TEXT NOT NULL,
    excluded BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (region_code, case_id)
);
CREATE INDEX ratings_created ON ratings (region_code, created_at);

-- 差评整改: the department's rectification of a bad rating, the revisit of the rater and any appeal.
CREATE TABLE rectifications (
    id {{ID}},
    region_code TEXT NOT NULL,
    rating_id BIGINT NOT NULL REFERENCES ratings (id),
    department_id BIGINT REFERENCES departments (id),
    state TEXT NOT NULL,
    due_date TEXT NOT NULL,
    reply TEXT NOT NULL DEFAULT '',
    replied_by TEXT NOT NULL DEFAULT '',
    replied_at TEXT,
    verdict TEXT NOT NULL DEFAULT '',
    revisit_note TEXT NOT NULL DEFAULT '',
    appeal_reason TEXT NOT NULL DEFAULT '',
    appeal_decision TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    UNIQUE (region_code, rating_id)
);

-- 电子证照: the signed licence as issued; the signature covers every field shown by the verification page.
CREATE TABLE licences (
    id {{ID}},
    region_code TEXT NOT NULL,
    licence_id TEXT NOT NULL UNIQUE,
    number TEXT NOT NULL,
    type_name TEXT NOT NULL,
    type_code TEXT NOT NULL,
    holder TEXT NOT NULL,
    holder_code TEXT NOT NULL,
    issuer TEXT NOT NULL,
    issuer_code TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    valid_until TEXT,
    case_number TEXT NOT NULL,
    fields TEXT NOT NULL,
    signature TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT,
    revoke_reason TEXT
);
CREATE INDEX licences_holder ON licences (region_code, holder_code);
