-- A password an applicant registers, once signed in by SMS code, for later sign-ins (Argon2id hash only).
CREATE TABLE applicant_passwords (
    region_code TEXT NOT NULL,
    identifier TEXT NOT NULL,
    phone TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (region_code, identifier)
);
