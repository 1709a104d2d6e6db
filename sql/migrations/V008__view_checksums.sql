-- Which definitions of the views the warehouse holds: one checksum over every file under sql/views/,
-- written whenever the views are re-created. A read-only command compares it with its own build's and
-- reads without touching the schema when they agree (otherwise it asks for `exercise migrate`).
CREATE TABLE meta.schema_views (
    checksum    VARCHAR   NOT NULL,  -- xxh3-128 over each view file's path and text, hex
    created_at  TIMESTAMP NOT NULL
);
