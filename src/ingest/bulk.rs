//! Bulk Parquet loads: many files per transaction, read by DuckDB on all cores. A batch that fails is
//! retried file by file, so one bad file is recorded as failed and the rest still load; an interrupted
//! run keeps every committed batch and the next run resumes after it.
use super::{parquet_footer, Load, Planned, Registered, Report};
use crate::duck::timed;
use crate::par::{parallel_map, progress_bar};
use anyhow::Result;
use duckdb::arrow::array::{ArrayRef, Int64Array};
use duckdb::arrow::record_batch::RecordBatch;
use std::sync::Arc;
use std::time::Instant;

pub fn load(
    load: &Load,
    todo: Vec<Planned>,
    files_per_batch: usize,
    report: &mut Report,
) -> Result<()> {
    let bar = progress_bar(
        todo.len() as u64,
        "{spinner} [{bar:30}] {pos}/{len} files  {msg}  ETA {eta}",
    );
    let started = Instant::now();
    let footers = timed("footers", || {
        parallel_map(&todo, |f| Ok(parquet_footer::read(&f.meta.path).ok()))
    })?;
    let per_batch = files_per_batch.max(1);
    for (files, rows) in alike(todo, footers) {
        for (batch, counts) in files.chunks(per_batch).zip(rows.chunks(per_batch)) {
            load_alike(load, batch, counts, report)?;
            let rows: i64 = report.loaded.iter().map(|o| o.rows_inserted).sum();
            bar.inc(batch.len() as u64);
            let secs = started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!("{rows} rows  {:.0} rows/s", rows as f64 / secs));
        }
    }
    bar.finish_and_clear();
    Ok(())
}

/// The files in groups of the same Parquet schema (`parquet_footer::groups`), each in path order, with
/// the rows their footers state. A delivery of one writer is one group.
fn alike(
    files: Vec<Planned>,
    footers: Vec<Option<parquet_footer::Footer>>,
) -> Vec<(Vec<Planned>, Vec<Option<i64>>)> {
    let schemas: Vec<Option<u64>> = footers.iter().map(|f| f.map(|f| f.schema)).collect();
    let mut files: Vec<Option<Planned>> = files.into_iter().map(Some).collect();
    parquet_footer::groups(&schemas)
        .into_iter()
        .map(|group| {
            let rows = group.iter().map(|&i| footers[i].map(|f| f.rows)).collect();
            (
                group.iter().filter_map(|&i| files[i].take()).collect(),
                rows,
            )
        })
        .collect()
}

/// Loads files of one schema in one transaction; when that fails for a file's sake, file by file, so that
/// the others load and the bad one is recorded as failed.
fn load_alike(
    load: &Load,
    batch: &[Planned],
    footers: &[Option<i64>],
    report: &mut Report,
) -> Result<()> {
    match load_batch(load, batch, footers, report) {
        Ok(()) => Ok(()),
        Err(err) if is_warehouse_failure(load, &err) => Err(err),
        Err(_) if batch.len() > 1 => {
            for (one, footer) in batch.chunks(1).zip(footers.chunks(1)) {
                match load_batch(load, one, footer, report) {
                    Ok(()) => {}
                    Err(err) if is_warehouse_failure(load, &err) => return Err(err),
                    Err(err) => record_failure(load, &one[0], &format!("{err:#}"), report)?,
                }
            }
            Ok(())
        }
        Err(err) => record_failure(load, &batch[0], &format!("{err:#}"), report),
    }
}

/// One transaction: register the files, replace earlier versions, insert, quarantine, account, record.
fn load_batch(
    load: &Load,
    files: &[Planned],
    footers: &[Option<i64>],
    report: &mut Report,
) -> Result<()> {
    let tx = load.wh.begin()?;
    let registered = timed("register", || load.register(files))?;
    timed("footer rows", || {
        record_footer_rows(load, &registered, footers)
    })?;
    load.wh.execute(
        "SET VARIABLE batch_files = (SELECT list(meta.file_pattern(path) ORDER BY file_index) FROM staged_files)",
    )?;
    load.sql("replace.sql")?;
    load.sql("load.sql")?;
    let short: i64 = load
        .wh
        .scalar("SELECT count(*) FROM file_accounting WHERE rows_inserted < rows_read")?;
    if short > 0 {
        load.sql("rejects.sql")?;
    }
    let outcomes = timed("ledger", || load.account_and_record())?;
    let (rejects, samples) = timed("reject samples", || load.reject_samples())?;
    timed("commit", || tx.commit())?;
    report.loaded.extend(outcomes);
    report.rejects_total += rejects;
    let room = 10usize.saturating_sub(report.reject_samples.len());
    report.reject_samples.extend(samples.into_iter().take(room));
    Ok(())
}

/// Lists each file's rows as its footer states them in `footer_rows`: those read here, then DuckDB's
/// reading of the footers that could not be (its error names the file).
fn record_footer_rows(
    load: &Load,
    registered: &[Registered],
    footers: &[Option<i64>],
) -> Result<()> {
    load.wh.execute("DELETE FROM footer_rows")?;
    let (ids, rows): (Vec<i64>, Vec<i64>) = registered
        .iter()
        .zip(footers)
        .filter_map(|(file, rows)| rows.map(|n| (file.file_id, n)))
        .unzip();
    let batch = RecordBatch::try_from_iter([
        ("file_id", Arc::new(Int64Array::from(ids)) as ArrayRef),
        ("num_rows", Arc::new(Int64Array::from(rows)) as ArrayRef),
    ])?;
    load.wh
        .append("footer_rows", batch, "listing the rows the footers state")?;
    if footers.iter().any(Option::is_none) {
        load.wh.execute(
            "SET VARIABLE unread_footers = (
                 SELECT list(meta.file_pattern(path) ORDER BY file_index) FROM staged_files
                 WHERE file_id NOT IN (SELECT file_id FROM footer_rows))",
        )?;
        load.wh.execute_file("ingest/footer_rows.sql")?;
    }
    Ok(())
}

/// Is this the warehouse failing (a full disk, an I/O error writing it, DuckDB giving up on it) rather than
/// a file being unreadable? Then it is the run's error, not the file's: the batch is rolled back, the run
/// stops, and no healthy file is recorded as failed.
fn is_warehouse_failure(load: &Load, err: &anyhow::Error) -> bool {
    let text = format!("{err:#}");
    // DuckDB names a file in quotes: the warehouse, its WAL or its spill folder, by absolute path.
    let warehouse = std::path::absolute(&load.wh.path).unwrap_or_else(|_| load.wh.path.clone());
    let names_warehouse = [".wal\"", "\"", ".tmp/"]
        .iter()
        .any(|end| text.contains(&format!("\"{}{end}", warehouse.display())));
    [
        "No space left on device",
        "Disk quota exceeded",
        "has been invalidated",
        "FATAL Error",
        "Read-only file system",
    ]
    .iter()
    .any(|sign| text.contains(sign))
        || names_warehouse
}

fn record_failure(load: &Load, file: &Planned, message: &str, report: &mut Report) -> Result<()> {
    let path = file.meta.key();
    // DuckDB's message usually names the file already; keep its first line (not the SQL excerpt under it),
    // minus the noise of a wrapping path.
    let why = crate::duck::duckdb_reason(message).replace(&format!("{path}: "), "");
    super::record_failure(load, file, file.hash.as_deref().unwrap_or_default(), &why)?;
    report.failed.push((path, why));
    Ok(())
}
