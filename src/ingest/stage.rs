//! Staging: the reference file, Parquet files (as JSON rows, or read by the dataset's SQL after their
//! columns are checked), and the hashes of text files read while they streamed.
use super::{discover, lines, parquet_footer, Load, Registered, Staging};
use crate::duck::warehouse::Warehouse;
use crate::duck::{duckdb_reason, sql_string, sqlfiles, timed};
use crate::par::parallel_map;
use anyhow::{bail, Context, Result};
use duckdb::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use indicatif::ProgressBar;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Stages the reference file and Parquet files; returns the text files, which are read as the SQL
/// consumes them (`lines::stream_text_files`), and their total size.
pub fn stage_all_but_text<'a>(
    load: &Load,
    todo: &'a [Registered<'a>],
    bar: &ProgressBar,
) -> Result<(Vec<(i64, &'a Path)>, u64)> {
    let wh = load.wh;
    let mut text_files = Vec::new();
    let mut text_bytes = 0u64;
    let mut parquet_files = Vec::new();
    for f in todo {
        let name = f
            .meta
            .path
            .file_name()
            .map(|n| n.to_string_lossy().to_string());
        if name.is_some() && name.as_deref() == load.spec.reference_file {
            wh.execute(&format!(
                "SET VARIABLE reference_file = {}; SET VARIABLE reference_file_id = {};",
                sql_string(&f.meta.key()),
                f.file_id
            ))?;
            load.sql("reference.sql").with_context(|| {
                format!(
                    "{}: not read as the reference file (a CSV whose header names the columns \
                     reference.sql reads; DuckDB's reader says why)",
                    f.meta.key()
                )
            })?;
            bar.inc(f.meta.size as u64);
        } else if discover::has_extension(&f.meta.path, &[".parquet"]) {
            if matches!(load.spec.staging, Staging::StagedLines) {
                parquet_files.push(f);
            } else {
                lines::stage_parquet_as_json(&wh.conn, f.file_id, &f.meta.path, bar)?;
            }
        } else {
            text_files.push((f.file_id, f.meta.path.as_path()));
            text_bytes += f.meta.size as u64;
        }
    }
    stage_parquet_by_sql(load, &parquet_files)?;
    bar.inc(parquet_files.iter().map(|f| f.meta.size as u64).sum());
    Ok((text_files, text_bytes))
}

/// New files were hashed while they were read (see `plan`): records their hashes in `staged_files`, in
/// one UPDATE (one statement per file took 2.85 s for 8,000 stock files).
pub fn record_hashes(load: &Load, todo: &[Registered], hashes: &[(i64, String)]) -> Result<()> {
    let hashes: HashMap<i64, &String> = hashes.iter().map(|(id, h)| (*id, h)).collect();
    let read: Vec<(i64, &str)> = todo
        .iter()
        .filter(|f| f.hash.is_none())
        .filter_map(|f| hashes.get(&f.file_id).map(|h| (f.file_id, h.as_str())))
        .collect();
    if read.is_empty() {
        return Ok(());
    }
    let batch = RecordBatch::try_from_iter([
        (
            "file_id",
            Arc::new(Int64Array::from_iter_values(read.iter().map(|r| r.0))) as ArrayRef,
        ),
        (
            "content_hash",
            Arc::new(StringArray::from_iter_values(read.iter().map(|r| r.1))) as ArrayRef,
        ),
    ])?;
    let wh = load.wh;
    wh.execute(
        "CREATE OR REPLACE TEMP TABLE read_hashes (file_id BIGINT NOT NULL, content_hash VARCHAR NOT NULL)",
    )?;
    wh.append(
        "read_hashes",
        batch,
        "recording the hashes of the files read",
    )?;
    wh.execute(
        "UPDATE staged_files AS s SET content_hash = h.content_hash FROM read_hashes AS h
         WHERE s.file_id = h.file_id;
         DROP TABLE read_hashes;",
    )
}

/// The columns a dataset needs that one Parquet or CSV file lacks ('' when it has them all), by the
/// dataset's `missing_columns_parquet.sql` or `missing_columns_csv.sql`. A file DuckDB cannot read is an
/// error naming it.
pub fn missing_columns(wh: &Warehouse, sql_dir: &str, path: &str) -> Result<String> {
    if discover::has_extension(Path::new(path), &[".parquet"]) {
        let found = missing_columns_parquet(&wh.conn, sql_dir, &[path.to_string()])
            .map_err(|e| anyhow::anyhow!("{path}: {}", duckdb_reason(&format!("{e:#}"))))?;
        return found
            .into_iter()
            .map(|(_, m)| m)
            .next()
            .ok_or_else(|| anyhow::anyhow!("{path}: DuckDB found no columns in it"));
    }
    let check = sqlfiles::get(&format!("{sql_dir}/missing_columns_csv.sql"))?;
    wh.execute(&format!(
        "SET VARIABLE candidate_file = meta.file_pattern({})",
        sql_string(path)
    ))
    .and_then(|_| Ok(wh.conn.query_row(check, [], |r| r.get(0))?))
    .map_err(|e| anyhow::anyhow!("{path}: {}", duckdb_reason(&format!("{e:#}"))))
}

/// `missing_columns` for many Parquet files in one read of their schemas: (path, missing) per file.
fn missing_columns_parquet(
    conn: &duckdb::Connection,
    sql_dir: &str,
    paths: &[String],
) -> Result<Vec<(String, String)>> {
    let check = sqlfiles::get(&format!("{sql_dir}/missing_columns_parquet.sql"))?;
    let list: Vec<String> = paths.iter().map(|p| sql_string(p)).collect();
    conn.execute_batch(&format!(
        "SET VARIABLE candidate_files = list_transform([{}]::VARCHAR[], lambda p: meta.file_pattern(p))",
        list.join(", ")
    ))?;
    let mut stmt = conn.prepare(check)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Reads the Parquet files with the dataset's `stage_parquet.sql`, in one statement, after checking each
/// file's schema (`missing_columns`), so that an unreadable or foreign file is named.
fn stage_parquet_by_sql(load: &Load, files: &[&Registered]) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    // Every file's schema in one read, on a connection of its own (a failure there leaves the load's
    // transaction usable); when that fails (or names a file otherwise), file by file, so that the error
    // names the file.
    let paths: Vec<String> = files.iter().map(|f| f.meta.key()).collect();
    let together: HashMap<String, String> = load
        .wh
        .conn
        .try_clone()
        .map_err(anyhow::Error::from)
        .and_then(|probe| missing_columns_parquet(&probe, load.spec.sql_dir, &paths))
        .map(|found| found.into_iter().collect())
        .unwrap_or_default();
    for path in &paths {
        let missing = match together.get(path) {
            Some(missing) => missing.clone(),
            None => missing_columns(load.wh, load.spec.sql_dir, path)?,
        };
        if !missing.is_empty() {
            bail!(
                "{path}: not a {} file: no column(s) {missing}",
                load.spec.name
            )
        }
    }
    // One statement per group of files of the same column types (parquet_footer::groups).
    let schemas = parallel_map(files, |f| {
        Ok(parquet_footer::read(&f.meta.path).ok().map(|f| f.schema))
    })?;
    for group in parquet_footer::groups(&schemas) {
        let list: Vec<String> = group
            .iter()
            .map(|&i| sql_string(&files[i].meta.key()))
            .collect();
        load.wh.execute(&format!(
            "SET VARIABLE parquet_paths = [{}]::VARCHAR[]",
            list.join(", ")
        ))?;
        timed("parquet", || load.sql("stage_parquet.sql"))?;
    }
    Ok(())
}
