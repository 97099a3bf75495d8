-- The name an applicant signs in under: an online filing's applicant is the signed-in identity, name included.
ALTER TABLE applicant_sessions ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE applicant_sessions ADD COLUMN session_id TEXT NOT NULL DEFAULT '';
