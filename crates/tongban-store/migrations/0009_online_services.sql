-- How the result goes back to the applicant (window pick-up, post, electronic only), with the carrier and waybill
-- once posted: a JSON object, '{}' for cases filed before it was asked.
ALTER TABLE cases ADD COLUMN delivery TEXT NOT NULL DEFAULT '{}';

-- Payment orders of items with a fee (非税收入缴款码): one per case, created at acceptance, marked paid once by the
-- payment platform's signed notification (its notice id is unique, so the same notification twice pays once).
CREATE TABLE payments (
    id {{ID}},
    region_code TEXT NOT NULL,
    case_id BIGINT NOT NULL UNIQUE REFERENCES cases (id),
    code TEXT NOT NULL UNIQUE,
    amount_fen BIGINT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    paid_at TEXT,
    paid_fen BIGINT,
    notice_id TEXT UNIQUE
);
CREATE INDEX payments_region_created ON payments (region_code, created_at);
