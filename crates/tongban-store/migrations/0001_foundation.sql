-- Foundation: regions, organisations, staff and sessions, the versioned service catalog, bundles, the audit log.
-- Written once for both backends; `{{ID}}` becomes the backend's auto-increment primary key.
-- Every row of tenant data carries region_code (the district's 行政区划代码) and unique keys include it, so that one
-- deployment can serve many districts and the tables can later be distributed by region.

CREATE TABLE regions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_code TEXT,
    level TEXT NOT NULL
);
CREATE INDEX regions_parent ON regions (parent_code);

CREATE TABLE departments (
    id {{ID}},
    region_code TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    UNIQUE (region_code, code),
    UNIQUE (region_code, name)
);

CREATE TABLE sites (
    id {{ID}},
    region_code TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    located_in TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    hours TEXT NOT NULL DEFAULT '',
    UNIQUE (region_code, code)
);

CREATE TABLE windows (
    id {{ID}},
    region_code TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES sites (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    department_id BIGINT REFERENCES departments (id),
    UNIQUE (region_code, code)
);

CREATE TABLE staff (
    id {{ID}},
    region_code TEXT NOT NULL,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    department_id BIGINT REFERENCES departments (id),
    window_id BIGINT REFERENCES windows (id),
    password_hash TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE INDEX staff_region ON staff (region_code, role);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    kind TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_staff ON sessions (staff_id);

CREATE TABLE login_failures (
    id {{ID}},
    username TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX login_failures_user ON login_failures (username, at);

CREATE TABLE applicants (
    id {{ID}},
    region_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    identifier TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (region_code, kind, identifier)
);

CREATE TABLE items (
    id {{ID}},
    region_code TEXT NOT NULL,
    code TEXT NOT NULL,
    department_id BIGINT NOT NULL REFERENCES departments (id),
    current_version BIGINT NOT NULL,
    name TEXT NOT NULL,
    item_type_code TEXT NOT NULL,
    levels TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'published',
    updated_at TEXT NOT NULL,
    UNIQUE (region_code, code)
);
CREATE INDEX items_department ON items (region_code, department_id);

CREATE TABLE item_versions (
    id {{ID}},
    region_code TEXT NOT NULL,
    item_id BIGINT NOT NULL REFERENCES items (id),
    version BIGINT NOT NULL,
    guide TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    UNIQUE (region_code, item_id, version)
);

CREATE TABLE bundles (
    id {{ID}},
    region_code TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (region_code, code)
);

CREATE TABLE bundle_items (
    bundle_id BIGINT NOT NULL REFERENCES bundles (id),
    position BIGINT NOT NULL,
    item_id BIGINT NOT NULL REFERENCES items (id),
    PRIMARY KEY (bundle_id, position)
);

CREATE TABLE audit_log (
    id {{ID}},
    region_code TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX audit_log_region ON audit_log (region_code, at);
