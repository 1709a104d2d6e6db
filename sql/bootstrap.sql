-- Applied on every open, before any migration: the one table the migration runner itself needs.
CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.schema_migrations (
    version     INTEGER   NOT NULL,   -- the number in V001__name.sql
    name        VARCHAR   NOT NULL,   -- the file name
    checksum    VARCHAR   NOT NULL,   -- xxh3-128 of the file's bytes, hex
    applied_at  TIMESTAMP NOT NULL
);
