-- Hall queue (取号叫号): the categories a kiosk offers, with the windows that serve each and their appointment
-- slots; tickets numbered per day and prefix (A001 …); booked slots counted per slot so that a full slot is
-- refused atomically on both backends. Times are UTC text like every other table; `day` is the local (UTC+8) date.

CREATE TABLE queue_categories (
    id {{ID}},
    region_code TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    -- Codes of the windows that call this category, comma-separated.
    windows TEXT NOT NULL,
    is_open BIGINT NOT NULL DEFAULT 1,
    -- Appointment slots: length in minutes and bookings per slot (0: no appointments).
    slot_minutes BIGINT NOT NULL DEFAULT 30,
    slot_capacity BIGINT NOT NULL DEFAULT 0,
    -- Local opening periods, e.g. "09:00-12:00,13:30-17:00": the appointment slots are cut from them.
    hours TEXT NOT NULL,
    position BIGINT NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    UNIQUE (region_code, code),
    UNIQUE (region_code, prefix)
);

CREATE TABLE queue_sequences (
    region_code TEXT NOT NULL,
    day TEXT NOT NULL,
    prefix TEXT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (region_code, day, prefix)
);

CREATE TABLE queue_slot_bookings (
    region_code TEXT NOT NULL,
    category_code TEXT NOT NULL,
    day TEXT NOT NULL,
    slot TEXT NOT NULL,
    booked BIGINT NOT NULL,
    PRIMARY KEY (region_code, category_code, day, slot)
);

CREATE TABLE queue_tickets (
    id {{ID}},
    region_code TEXT NOT NULL,
    day TEXT NOT NULL,
    number TEXT NOT NULL,
    -- The category it waits in now, and the one it was taken for (they differ after a transfer).
    category_code TEXT NOT NULL,
    original_category TEXT NOT NULL,
    -- kiosk or appointment
    channel TEXT NOT NULL,
    -- waiting, called, done, skipped
    state TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    appointment_slot TEXT,
    taken_at TEXT NOT NULL,
    -- When it may be called: the taking time, or the start of its appointment slot.
    ready_at TEXT NOT NULL,
    -- When it last joined a waiting line (taken, or transferred).
    queued_since TEXT NOT NULL,
    first_called_at TEXT,
    called_at TEXT,
    announced_at TEXT,
    call_count BIGINT NOT NULL DEFAULT 0,
    window_code TEXT,
    called_by TEXT,
    finished_at TEXT,
    waited_seconds BIGINT NOT NULL DEFAULT 0,
    served_seconds BIGINT NOT NULL DEFAULT 0,
    transfers BIGINT NOT NULL DEFAULT 0,
    case_number TEXT,
    UNIQUE (region_code, day, number)
);
CREATE INDEX queue_tickets_waiting ON queue_tickets (region_code, day, state, category_code);
CREATE INDEX queue_tickets_window ON queue_tickets (region_code, window_code, state);
