SELECT version, name, applied_at FROM meta.schema_migrations ORDER BY version
