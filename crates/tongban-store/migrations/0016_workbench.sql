-- The workbench: what waits for whom. A case waits for a role in some states of its workflow; the to-do lists read
-- open cases by workflow and state (the department's, or those of a clerk's site), and by filing site.
CREATE INDEX cases_waiting ON cases (region_code, workflow_code, state, due_date);
CREATE INDEX cases_site_state ON cases (region_code, site_code, state);

-- When each staff member last opened their to-do list: what changed after it is marked new.
ALTER TABLE staff ADD COLUMN todo_seen_at TEXT NOT NULL DEFAULT '';
