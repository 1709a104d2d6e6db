//! The commands that read: `query`, `status`, `outliers` (which re-creates its view first) and the
//! embedded reports (`stedi`, `runs`).
use crate::cli::QueryArgs;
use crate::datasets;
use crate::duck::warehouse::{Access, Warehouse};
use crate::duck::{quote_ident, sql_string};
use crate::output::{self, Format};
use anyhow::{bail, Context, Result};
use std::io::{IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;

pub fn outliers(db: &Path, format: Format) -> Result<ExitCode> {
    let wh = Warehouse::open(db)?;
    wh.execute_file("views/blog_analysis/outlier_weeks.sql")?;
    let result = output::query(&wh.conn, "SELECT * FROM blog_analysis.outlier_weeks")?;
    output::print(&result, format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the result of an embedded report query.
pub fn report(db: &Path, file: &str, format: Format) -> Result<ExitCode> {
    let wh = Warehouse::open_reader(db, Access::Read)?;
    let result = output::query(&wh.conn, crate::duck::sqlfiles::get(file)?)?;
    output::print(&result, format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

pub fn query(db: &Path, args: &QueryArgs) -> Result<ExitCode> {
    let sql = match &args.sql {
        Some(sql) => sql.clone(),
        None => {
            if std::io::stdin().is_terminal() {
                bail!("no SQL given: pass it as an argument or on standard input");
            }
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading SQL from standard input")?;
            text
        }
    };
    // One statement: the result printed is the result of all that ran.
    let statements = crate::duck::statements::count(&sql)?;
    if statements > 1 {
        bail!("{statements} statements given: `exercise query` runs exactly one (run them one by one)");
    }
    let wh = if args.write {
        Warehouse::open(db)?
    } else {
        Warehouse::open_reader(db, Access::Sandboxed)?
    };
    let result = output::query(&wh.conn, sql.trim().trim_end_matches(';')).map_err(|e| {
        if args.write {
            e
        } else {
            explain_sandbox_refusal(e)
        }
    })?;
    output::print(
        &result,
        args.format.format.into(),
        &mut std::io::stdout().lock(),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Adds, to DuckDB's refusal of something the read-only sandbox forbids, how to do it on purpose.
fn explain_sandbox_refusal(err: anyhow::Error) -> anyhow::Error {
    let text = err.to_string();
    let refused = [
        "read-only mode",
        "disabled by configuration",
        "external access is disabled",
        "configuration has been locked",
        "Permission Error",
    ];
    if refused.iter().any(|r| text.contains(r)) {
        anyhow::anyhow!(
            "{}: `exercise query` is read-only and reads only the warehouse; add --write to change it or to read and write other files",
            crate::duck::duckdb_reason(&text)
        )
    } else {
        err
    }
}

fn print_section(wh: &Warehouse, title: &str, sql: &str) -> Result<()> {
    println!("\n== {title}");
    let result = output::query(&wh.conn, sql).with_context(|| format!("status section {title}"))?;
    output::write_table(&result, &mut std::io::stdout().lock())
}

fn table_counts_sql(wh: &Warehouse) -> Result<String> {
    let mut stmt = wh.conn.prepare(
        "SELECT schema_name, table_name FROM duckdb_tables()
         WHERE database_name = current_database() AND NOT temporary ORDER BY 1, 2",
    )?;
    let tables = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let parts: Vec<String> = tables
        .iter()
        .map(|(s, t)| {
            format!(
                "SELECT {} AS \"table\", count(*) AS \"rows\" FROM {}.{}",
                sql_string(&format!("{s}.{t}")),
                quote_ident(s),
                quote_ident(t)
            )
        })
        .collect();
    Ok(parts.join(" UNION ALL ") + " ORDER BY 1")
}

/// One row per dataset of the registry: its files, how repeats are judged, its rejects table and count.
fn datasets_sql() -> String {
    let rows: Vec<String> = datasets::ALL
        .iter()
        .map(|spec| {
            format!(
                "SELECT {} AS dataset, {} AS files, {} AS repeats, {} AS rejects_table, (SELECT count(*) FROM {}) AS rejected",
                sql_string(spec.name),
                sql_string(&spec.extensions.join(" ")),
                sql_string(&spec.dedup.describe()),
                sql_string(spec.rejects_table),
                spec.rejects_table
            )
        })
        .collect();
    rows.join(" UNION ALL ")
}

/// Rejected rows by table and reason (the reason's text up to the first colon), over every dataset's
/// rejects table.
fn rejects_sql() -> String {
    let tables: Vec<String> = datasets::ALL
        .iter()
        .map(|spec| {
            format!(
                "SELECT {} AS rejects_table, reason FROM {}",
                sql_string(spec.rejects_table),
                spec.rejects_table
            )
        })
        .collect();
    format!(
        "SELECT rejects_table, split_part(reason, ':', 1) AS reason, count(*) AS \"rows\"
         FROM ({}) GROUP BY ALL ORDER BY 1, 3 DESC, 2",
        tables.join(" UNION ALL ")
    )
}

pub fn status(db: &Path) -> Result<ExitCode> {
    let wh = Warehouse::open_reader(db, Access::Read)?;
    println!("warehouse {}", db.display());
    print_section(&wh, "tables", &table_counts_sql(&wh)?)?;
    print_section(&wh, "datasets", &datasets_sql())?;
    print_section(&wh, "rejects", &rejects_sql())?;
    for (path, sql) in crate::duck::sqlfiles::under("status/") {
        let title = path
            .trim_start_matches("status/")
            .trim_end_matches(".sql")
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == '_')
            .replace('_', " ");
        print_section(&wh, &title, sql)?;
    }
    Ok(ExitCode::SUCCESS)
}
