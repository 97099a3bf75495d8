-- Who may act for an enterprise online: its legal representative (as registered) and the agents the representative
-- authorises. A row ends (removed_at) when the authorisation ends; the history stays.
CREATE TABLE enterprise_people (
    id {{ID}},
    region_code TEXT NOT NULL,
    credit_code TEXT NOT NULL,
    enterprise_name TEXT NOT NULL,
    person_identifier TEXT NOT NULL,
    person_name TEXT NOT NULL,
    role TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    removed_by TEXT,
    removed_at TEXT
);
CREATE INDEX enterprise_people_person ON enterprise_people (region_code, person_identifier);
CREATE INDEX enterprise_people_code ON enterprise_people (region_code, credit_code);

-- The natural person behind an applicant session, and in what capacity they act for an enterprise.
ALTER TABLE applicant_sessions ADD COLUMN person_identifier TEXT NOT NULL DEFAULT '';
ALTER TABLE applicant_sessions ADD COLUMN acting_as TEXT NOT NULL DEFAULT '';
