//! `export`: a table or view of the warehouse as Parquet, whole or partitioned.
use crate::cli::{ExportArgs, PublishArgs};
use crate::duck::quote_ident;
use crate::duck::warehouse::{Access, Warehouse};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::ExitCode;

/// `schema.name` (or `name` in main) to a quoted, existing relation, or an error listing what exists.
fn relation(wh: &Warehouse, name: &str) -> Result<String> {
    let (schema, table) = name.split_once('.').unwrap_or(("main", name));
    let found: i64 = wh
        .conn
        .query_row(
            "SELECT count(*) FROM (SELECT schema_name, table_name FROM duckdb_tables()
                                   UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal)
             WHERE schema_name = ? AND table_name = ?",
            [schema, table],
            |r| r.get(0),
        )
        .context("looking up the table")?;
    if found == 0 {
        bail!("no table or view named {name} in the warehouse (see `exercise status`)");
    }
    Ok(format!("{}.{}", quote_ident(schema), quote_ident(table)))
}

pub fn export(db: &Path, args: &ExportArgs) -> Result<ExitCode> {
    let wh = Warehouse::open_reader(db, Access::Read)?;
    let source = relation(&wh, &args.table)?;
    std::fs::create_dir_all(&args.to)
        .with_context(|| format!("cannot create {}", args.to.display()))?;
    let rows: i64 = wh.scalar(&format!("SELECT count(*) FROM {source}"))?;
    let (target, options) = match &args.partition_by {
        Some(col) => (
            args.to.clone(),
            format!(
                "FORMAT parquet, PARTITION_BY ({}), OVERWRITE_OR_IGNORE",
                quote_ident(col)
            ),
        ),
        None => (
            args.to.join(format!("{}.parquet", args.table)),
            "FORMAT parquet".to_string(),
        ),
    };
    let target_sql = crate::duck::sql_string(&target.to_string_lossy());
    wh.execute(&format!(
        "COPY (SELECT * FROM {source}) TO {target_sql} ({options})"
    ))
    .with_context(|| format!("exporting {} to {}", args.table, target.display()))?;
    println!(
        "exported {rows} rows of {} to {}",
        args.table,
        target.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn publish(db: &Path, args: &PublishArgs) -> Result<ExitCode> {
    let wh = Warehouse::open_reader(db, Access::Read)?;
    let outcomes = crate::lake::publish(&wh, &args.to)?;
    for o in &outcomes {
        println!(
            "{:<42} {:>12} rows  {:>5} partitions  {:>5} rewritten  {:>3} removed",
            o.relation, o.rows, o.partitions, o.rewritten, o.removed
        );
    }
    let rewritten: usize = outcomes.iter().map(|o| o.rewritten).sum();
    println!(
        "published {} relations to {} ({} partitions rewritten; manifest {}/_manifest.json)",
        outcomes.len(),
        args.to.display(),
        rewritten,
        args.to.display()
    );
    Ok(ExitCode::SUCCESS)
}
