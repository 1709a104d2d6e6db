-- The indexes of blog_analysis.votes (Spec::indexed, src/ingest/indexes.rs): built after a first load's
-- rows are in, once, and kept up by DuckDB from then on. The Id key: DuckDB refuses a duplicate Id on any
-- write (sql/migrations/V011 made it an index rather than a PRIMARY KEY).
CREATE UNIQUE INDEX IF NOT EXISTS votes_id ON blog_analysis.votes (Id);
