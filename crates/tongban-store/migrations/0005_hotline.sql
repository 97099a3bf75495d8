-- 12345 hotline work orders (工单): the category tree that routes them, the orders with their append-only event
-- history, the early warnings of 未诉即办, and the Open311 API keys (only their SHA-256 is kept). Times are UTC text.

CREATE TABLE hotline_categories (
    id {{ID}},
    region_code TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    -- Empty for a top-level group; orders are filed under leaves.
    parent_code TEXT NOT NULL DEFAULT '',
    -- consultation, help, suggestion, complaint or report: sets the default time limit.
    kind TEXT NOT NULL,
    department_code TEXT NOT NULL DEFAULT '',
    -- Working days; NULL: the default of the kind.
    limit_days BIGINT,
    keywords TEXT NOT NULL DEFAULT '',
    position BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    UNIQUE (region_code, code)
);

CREATE TABLE hotline_sequences (
    region_code TEXT NOT NULL,
    day TEXT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (region_code, day)
);

CREATE TABLE hotline_orders (
    id {{ID}},
    region_code TEXT NOT NULL,
    number TEXT NOT NULL,
    -- phone, web, mailbox, npc, cppcc, open311
    channel TEXT NOT NULL,
    category_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- normal, urgent, emergency
    urgency TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    -- Town (9 digits) or village (12) inside the deployment's district, or empty.
    area_code TEXT NOT NULL DEFAULT '',
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    caller_name TEXT NOT NULL DEFAULT '',
    caller_phone TEXT NOT NULL DEFAULT '',
    attachments TEXT NOT NULL DEFAULT '',
    -- received, dispatched, returned, handling, replied, revisited, review, closed, merged
    state TEXT NOT NULL,
    lead_department TEXT NOT NULL DEFAULT '',
    co_departments TEXT NOT NULL DEFAULT '',
    received_at TEXT NOT NULL,
    -- When the answer is due (UTC); moved by approved extensions.
    due_at TEXT NOT NULL,
    -- Working days asked for by the department, awaiting the dispatcher (0: none pending).
    extension_requested BIGINT NOT NULL DEFAULT 0,
    extension_reason TEXT NOT NULL DEFAULT '',
    return_reason TEXT NOT NULL DEFAULT '',
    reply TEXT NOT NULL DEFAULT '',
    replied_at TEXT,
    -- Revisit: 1/0 resolved, satisfaction 满意 / 基本满意 / 不满意.
    resolved BIGINT,
    satisfaction TEXT,
    closed_at TEXT,
    closing_note TEXT NOT NULL DEFAULT '',
    merged_into TEXT,
    returns BIGINT NOT NULL DEFAULT 0,
    extensions BIGINT NOT NULL DEFAULT 0,
    -- Open311: the key's name that filed it, and the token handed back.
    api_client TEXT NOT NULL DEFAULT '',
    token TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    UNIQUE (region_code, number)
);
CREATE INDEX hotline_orders_state ON hotline_orders (region_code, state, lead_department);
CREATE INDEX hotline_orders_received ON hotline_orders (region_code, received_at);
CREATE INDEX hotline_orders_token ON hotline_orders (token);

-- Append-only: rows are inserted, never updated or deleted.
CREATE TABLE hotline_events (
    id {{ID}},
    order_id BIGINT NOT NULL REFERENCES hotline_orders (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    department TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX hotline_events_order ON hotline_events (order_id, id);

CREATE TABLE hotline_warnings (
    id {{ID}},
    region_code TEXT NOT NULL,
    department_code TEXT NOT NULL,
    category_code TEXT NOT NULL,
    area_code TEXT NOT NULL DEFAULT '',
    -- Order numbers behind the warning, comma-separated; a warning is raised once per set of orders (key).
    orders TEXT NOT NULL,
    cluster_key TEXT NOT NULL,
    summary TEXT NOT NULL,
    first_at TEXT NOT NULL,
    last_at TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    acknowledged_by TEXT,
    UNIQUE (region_code, cluster_key)
);

CREATE TABLE open311_keys (
    id {{ID}},
    region_code TEXT NOT NULL,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at TEXT,
    UNIQUE (region_code, name)
);
