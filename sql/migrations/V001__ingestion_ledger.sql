-- The load ledger: one row per file an ingestion run read (loaded or failed).
-- Skipping an unchanged file looks up its latest successful row here.
CREATE SEQUENCE meta.file_load_id_seq START 1;
CREATE SEQUENCE meta.load_run_id_seq START 1;

CREATE TABLE meta.file_loads (
    file_load_id    BIGINT    NOT NULL,  -- provenance key carried by fact rows (source_file_id)
    run_id          BIGINT    NOT NULL,  -- one per `exercise ingest-data` invocation
    dataset         VARCHAR   NOT NULL,  -- votes, sensor-logs, stocks, stedi, telemetry
    path            VARCHAR   NOT NULL,  -- absolute path as read
    size_bytes      BIGINT    NOT NULL,
    modified_at     TIMESTAMP,           -- file mtime (UTC) when read
    content_hash    VARCHAR   NOT NULL,  -- xxh3-128 of the file's bytes, hex
    status          VARCHAR   NOT NULL,  -- loaded | failed | superseded
    rows_read       BIGINT    NOT NULL DEFAULT 0,
    rows_inserted   BIGINT    NOT NULL DEFAULT 0,
    rows_duplicate  BIGINT    NOT NULL DEFAULT 0,
    rows_rejected   BIGINT    NOT NULL DEFAULT 0,
    rows_replaced   BIGINT    NOT NULL DEFAULT 0,  -- rows of an earlier version of the file removed
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP NOT NULL,
    message         VARCHAR              -- unknown fields seen, or why the file failed
);
