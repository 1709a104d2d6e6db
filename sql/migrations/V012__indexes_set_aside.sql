-- The votes' Id key as a unique index from the migration on (V011 left it to the first votes load, so a
-- duplicate Id written by hand before that load was let in, and an upgraded warehouse had no key until a
-- load with a new file). A load into the empty table sets it aside and builds it after its rows instead
-- (src/ingest/indexes.rs, sql/datasets/votes/indexes.sql). A later migration that alters the table
-- (renames or drops a column, changes a type) must drop the index first and create it again after:
-- DuckDB refuses to alter a table an index depends on.
CREATE UNIQUE INDEX IF NOT EXISTS votes_id ON blog_analysis.votes (Id);

-- Indexes dropped for a load into their empty table, with DuckDB's definition of each, until the load has
-- built them again (in its transaction, or after it failed): should the process die in between, the next
-- command that writes to the warehouse builds them from here before anything else (Warehouse::migrate).
CREATE TABLE meta.indexes_set_aside (
    table_name  VARCHAR NOT NULL,  -- schema.table
    index_name  VARCHAR NOT NULL,
    definition  VARCHAR NOT NULL   -- duckdb_indexes().sql
);
