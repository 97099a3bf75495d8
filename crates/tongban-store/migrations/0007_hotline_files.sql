-- 12345 hotline, second step: files attached to work orders (stored under the data directory by SHA-256, as case
-- materials are; only their description is kept here), and the department's acknowledgement of an early warning.

CREATE TABLE hotline_files (
    id {{ID}},
    order_id BIGINT NOT NULL REFERENCES hotline_orders (id),
    -- The name the uploader gave the file (shown, never used as a path).
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    -- Told from the content: application/pdf, image/jpeg, image/png or application/ofd.
    content_type TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX hotline_files_order ON hotline_files (order_id, id);

-- acknowledged_by (migration 5) names who took the warning on; when, and what the department will do.
ALTER TABLE hotline_warnings ADD COLUMN acknowledged_at TEXT;
ALTER TABLE hotline_warnings ADD COLUMN acknowledgement TEXT NOT NULL DEFAULT '';
