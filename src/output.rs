//! Printing query results: aligned tables for people, CSV and JSON lines for pipes.
use crate::text::{printable, CAP};
use anyhow::{Context, Result};
use duckdb::arrow::datatypes::{DataType, SchemaRef};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::arrow::util::display::{ArrayFormatter, FormatOptions};
use duckdb::Connection;
use std::io::Write;

/// How a result is printed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for people
    Table,
    /// RFC 4180 CSV with a header row
    Csv,
    /// One JSON object per line
    Json,
}

/// A query result held in memory: its schema and batches.
pub struct ResultSet {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

impl ResultSet {
    pub fn rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}

/// Runs one statement and collects its result.
pub fn query(conn: &Connection, sql: &str) -> Result<ResultSet> {
    let sql = texts_for_unprintable(conn, sql).unwrap_or_else(|| sql.to_string());
    let mut stmt = conn.prepare(&sql).map_err(|e| anyhow::anyhow!("{e}"))?;
    let arrow = stmt.query_arrow([]).map_err(|e| anyhow::anyhow!("{e}"))?;
    let schema = arrow.get_schema();
    let batches: Vec<RecordBatch> = arrow.collect();
    Ok(ResultSet { schema, batches })
}

/// A query whose result has columns of types the Arrow hand-over would misprint or cannot carry (BIT
/// arrives as its bytes, TIME WITH TIME ZONE without its offset, VARIANT not at all), rewritten so that
/// DuckDB casts those columns to text, as it prints them itself; None when there are none, or when the
/// statement is not a query whose columns `DESCRIBE` can tell (it then runs as it is).
fn texts_for_unprintable(conn: &Connection, sql: &str) -> Option<String> {
    let query = sql.trim().trim_end_matches(';').trim_end();
    let mut stmt = conn.prepare(&format!("DESCRIBE {query}")).ok()?;
    let columns: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .ok()?
        .collect::<Result<_, _>>()
        .ok()?;
    let unprintable = |kind: &str| {
        kind.contains("TIME WITH TIME ZONE")
            || kind
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|word| matches!(word, "BIT" | "VARIANT" | "TIMETZ"))
    };
    let names: Vec<&str> = columns
        .iter()
        .filter(|(_, kind)| unprintable(kind))
        .map(|(name, _)| name.as_str())
        .collect();
    // a name given to two columns cannot be replaced by name: such a result runs as it is
    let unique = |name: &&str| columns.iter().filter(|(n, _)| n == name).count() == 1;
    if names.is_empty() || !names.iter().all(unique) {
        return None;
    }
    let casts: Vec<String> = names
        .iter()
        .map(|name| {
            let quoted = format!("\"{}\"", name.replace('"', "\"\""));
            format!("CAST({quoted} AS VARCHAR) AS {quoted}")
        })
        .collect();
    Some(format!(
        "SELECT * REPLACE ({}) FROM ({query}\n) AS result",
        casts.join(", ")
    ))
}

pub fn print(result: &ResultSet, format: Format, out: &mut dyn Write) -> Result<()> {
    match format {
        Format::Table => write_table(result, out),
        Format::Csv => write_csv(result, out),
        Format::Json => write_json(result, out),
    }
    .context("writing the result")
}

/// Cell texts of every row, as DuckDB's types display them, safe for a terminal (control characters
/// escaped, a cell cut at `CAP` characters); CSV and JSON output keep values exact.
fn cells(result: &ResultSet) -> Result<Vec<Vec<String>>> {
    let options = FormatOptions::default()
        .with_null("NULL")
        .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.f"))
        .with_timestamp_tz_format(Some("%Y-%m-%d %H:%M:%S%.f%:z"));
    let mut rows = Vec::with_capacity(result.rows());
    for batch in &result.batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()?;
        for i in 0..batch.num_rows() {
            rows.push(
                formatters
                    .iter()
                    .map(|f| printable(&f.value(i).to_string(), CAP))
                    .collect(),
            );
        }
    }
    Ok(rows)
}

fn is_numeric(t: &DataType) -> bool {
    t.is_numeric() || matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..))
}

/// Columns padded to their widest cell, numbers right-aligned, a rule under the header, a row count.
pub fn write_table(result: &ResultSet, out: &mut dyn Write) -> Result<()> {
    let fields = result.schema.fields();
    let rows = cells(result)?;
    let names: Vec<String> = fields.iter().map(|f| printable(f.name(), CAP)).collect();
    let mut widths: Vec<usize> = names.iter().map(|n| n.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let right: Vec<bool> = fields.iter().map(|f| is_numeric(f.data_type())).collect();
    let line = |cells: Vec<&str>| -> String {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if right[i] {
                    format!("{c:>w$}", w = widths[i])
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    writeln!(out, "{}", line(names.iter().map(String::as_str).collect()))?;
    writeln!(
        out,
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ")
    )?;
    for row in &rows {
        writeln!(out, "{}", line(row.iter().map(String::as_str).collect()))?;
    }
    let n = rows.len();
    writeln!(out, "({n} row{})", if n == 1 { "" } else { "s" })?;
    Ok(())
}

fn write_csv(result: &ResultSet, out: &mut dyn Write) -> Result<()> {
    let mut writer = arrow::csv::WriterBuilder::new()
        .with_header(true)
        .with_null(String::new())
        .build(out);
    if result.batches.is_empty() {
        let empty = RecordBatch::new_empty(result.schema.clone());
        writer.write(&empty)?;
    }
    for batch in &result.batches {
        writer.write(batch)?;
    }
    Ok(())
}

fn write_json(result: &ResultSet, out: &mut dyn Write) -> Result<()> {
    let mut writer = arrow::json::LineDelimitedWriter::new(out);
    for batch in &result.batches {
        writer.write(batch)?;
    }
    writer.finish()?;
    Ok(())
}
