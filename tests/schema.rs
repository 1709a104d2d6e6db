//! `sql/schema.sql` is the current definition of every table, index, view, macro and sequence of a fresh
//! warehouse, as DuckDB states it: the one place to read a relation's columns without adding up the
//! migrations. This test rebuilds it and fails when the checked-in file is stale
//! (`UPDATE_SCHEMA=1 cargo test --release --test schema` rewrites it).
mod common;
use common::Workspace;
use duckdb::{AccessMode, Config, Connection};
use std::path::Path;

/// The DDL of every object of the warehouse, sorted by kind and name.
fn current_schema(db: &Path) -> String {
    let config = Config::default().access_mode(AccessMode::ReadOnly).unwrap();
    let conn = Connection::open_with_flags(db, config).unwrap();
    let sections = [
        (
            "sequences",
            "SELECT schema_name || '.' || sequence_name, sql FROM duckdb_sequences() ORDER BY 1",
        ),
        (
            "tables",
            "SELECT schema_name || '.' || table_name, sql FROM duckdb_tables() WHERE NOT temporary ORDER BY 1",
        ),
        (
            "indexes",
            "SELECT schema_name || '.' || index_name, sql FROM duckdb_indexes() ORDER BY 1",
        ),
        (
            "views",
            "SELECT schema_name || '.' || view_name, sql FROM duckdb_views()
             WHERE NOT internal AND NOT temporary ORDER BY 1",
        ),
        (
            "macros",
            "SELECT DISTINCT schema_name || '.' || function_name,
                    'MACRO ' || schema_name || '.' || function_name || '(' || array_to_string(parameters, ', ')
                    || ') AS ' || macro_definition
             FROM duckdb_functions() WHERE function_type IN ('macro', 'table_macro') AND NOT internal
             ORDER BY 1",
        ),
    ];
    let mut out = String::from(
        "-- The current schema of a fresh warehouse, as DuckDB states it: made by tests/schema.rs\n\
         -- (`UPDATE_SCHEMA=1 cargo test --release --test schema`); do not edit by hand. The sources are\n\
         -- sql/migrations (tables, indexes, sequences) and sql/views (views, macros).\n",
    );
    for (title, sql) in sections {
        out.push_str(&format!("\n-- {title}\n"));
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .unwrap();
        for row in rows {
            let (name, ddl) = row.unwrap();
            out.push_str(&format!("-- {name}\n{}\n", ddl.trim_end()));
        }
    }
    out
}

#[test]
fn the_checked_in_schema_is_the_schema_of_a_fresh_warehouse() {
    let ws = Workspace::new();
    ws.exercise().arg("migrate").assert().success();
    let current = current_schema(&ws.db());
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/schema.sql");
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(&file, &current).unwrap();
    }
    let checked_in = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        checked_in == current,
        "sql/schema.sql is stale: run `UPDATE_SCHEMA=1 cargo test --release --test schema` and commit it"
    );
    for relation in [
        "blog_analysis.votes",
        "telemetry.run_grid",
        "telemetry.run_features",
        "meta.file_pattern",
    ] {
        assert!(
            current.contains(&format!("-- {relation}\n")),
            "{relation} missing"
        );
    }
}
