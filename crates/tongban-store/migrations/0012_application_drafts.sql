-- Applications saved to finish later (草稿): the applicant's own, not cases yet. Submitting one files the case once
-- and keeps its number here, so that submitting the same draft again answers the same case.
CREATE TABLE application_drafts (
    id {{ID}},
    region_code TEXT NOT NULL,
    identifier TEXT NOT NULL,
    phone TEXT NOT NULL,
    item_code TEXT NOT NULL,
    item_name TEXT NOT NULL,
    form TEXT NOT NULL,
    delivery TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    case_number TEXT
);
CREATE INDEX application_drafts_owner ON application_drafts (region_code, identifier);
