//! Ingestion: find files, consult the ledger, stage what changed, run the dataset's SQL, account for
//! every row and record the ledger. Votes load in one transaction (all or nothing); bulk datasets load
//! in batches of files, each its own transaction, so a bad file or an interruption costs only itself.
pub mod bulk;
pub mod discover;
pub mod ledger;
pub mod lines;

use crate::duck::sqlfiles;
use crate::duck::warehouse::Warehouse;
use crate::duck::{duckdb_reason, sql_string, timed, timings_on};
use crate::par::{parallel_map, progress_bar};
use anyhow::{bail, Context, Result};
use duckdb::arrow::array::{ArrayRef, Int64Array, StringArray};
use duckdb::arrow::record_batch::RecordBatch;
use indicatif::ProgressBar;
use ledger::{Decision, FileMeta, Outcome};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a dataset's files reach its SQL.
pub enum Staging {
    /// Text lines (JSON lines, CSV; plain or gzip) typed by `load.sql` as the reader thread delivers them,
    /// read once from the view `incoming_lines`; `load.sql` keeps the raw text it needs (rejects) itself.
    /// Parquet rows are staged as the JSON text of each row, so one SQL path types both. With
    /// `count_json_keys` the reader counts each JSON line's top-level keys (`top_level_keys`), so SQL
    /// parses the key list only of lines with more keys than known fields. All files load in one
    /// transaction.
    StreamedLines { count_json_keys: bool },
    /// Text lines copied into `staged_lines` first, for SQL that reads them several times; Parquet files
    /// read by DuckDB in one statement (`stage_parquet.sql`, after every file's columns are checked by
    /// `missing_columns_parquet.sql`). All files load in one transaction.
    StagedLines,
    /// Parquet files read by DuckDB directly (`read_parquet` over a batch), this many files per
    /// transaction: a bad file is retried alone and recorded as failed, the rest go on.
    ParquetBatches { files_per_batch: usize },
}

/// What a repeated row is, for a dataset (its SQL does the work; this says which rule it follows).
pub enum Dedup {
    /// A key seen before (in the warehouse, or earlier in the run in file then line order) is a
    /// duplicate; the first occurrence wins.
    FirstWinsOnKey(&'static str),
    /// A key seen before with the same values is a duplicate, with other values a reject naming the row
    /// kept: nothing is overwritten.
    ConflictOnKey(&'static str),
    /// Only an exact repeat of a whole record is a duplicate.
    ExactRecord,
    /// A changed file replaces the rows of its earlier version; rows are not unique on any key.
    ReplaceFile,
}

impl Dedup {
    /// The rule in words, for `exercise status`.
    pub fn describe(&self) -> String {
        match self {
            Dedup::FirstWinsOnKey(key) => format!("first wins on {key}"),
            Dedup::ConflictOnKey(key) => {
                format!("same values on {key} are duplicates, other values rejects")
            }
            Dedup::ExactRecord => "exact repeats of a record are duplicates".into(),
            Dedup::ReplaceFile => "a changed file replaces its earlier rows".into(),
        }
    }
}

/// A step a dataset runs after its rows are in, in the load's transaction, before the accounting (which
/// may depend on it). It also runs when no file was new, so that a changed setting takes effect.
pub trait AfterLoad: Sync {
    /// Does the work; returns what to tell the user, one line each.
    fn run(&self, load: &Load) -> Result<Vec<String>>;
}

/// What Rust must know about a dataset; everything else is in `sql/datasets/<name>/`. Each dataset
/// declares one in `src/datasets/`.
pub struct Spec {
    /// The `--dataset` value and the ledger's `dataset`.
    pub name: &'static str,
    /// One line on what it loads, for `--help`.
    pub about: &'static str,
    pub extensions: &'static [&'static str],
    pub sql_dir: &'static str,
    pub rejects_table: &'static str,
    pub staging: Staging,
    pub dedup: Dedup,
    /// A file of this name is not staged as lines: `reference.sql` reads it with DuckDB's own reader
    /// (variables reference_file, reference_file_id) before `load.sql` runs.
    pub reference_file: Option<&'static str>,
    pub after_load: Option<&'static dyn AfterLoad>,
}

impl Spec {
    fn streams_lines(&self) -> bool {
        matches!(self.staging, Staging::StreamedLines { .. })
    }

    fn counts_json_keys(&self) -> bool {
        matches!(
            self.staging,
            Staging::StreamedLines {
                count_json_keys: true
            }
        )
    }
}

pub struct Options {
    pub paths: Vec<String>,
    pub force: bool,
}

/// A rejected row, for the summary.
pub struct RejectSample {
    pub file: String,
    pub line: i64,
    pub reason: String,
}

#[derive(Default)]
pub struct Report {
    pub loaded: Vec<Outcome>,
    pub unchanged: Vec<PathBuf>,
    /// Files whose content equals a file loaded under another name, before or in this run.
    pub duplicate_files: Vec<Copy>,
    /// Files that could not be loaded: (file, why). Only bulk datasets get past a bad file.
    pub failed: Vec<(String, String)>,
    pub rejects_total: i64,
    pub reject_samples: Vec<RejectSample>,
    /// What else the load did (e.g. which runs were derived again), one line each.
    pub notes: Vec<String>,
    pub elapsed: Duration,
}

impl Report {
    pub fn total(&self) -> Outcome {
        let mut t = Outcome {
            path: "total".into(),
            ..Default::default()
        };
        for o in &self.loaded {
            t.rows_read += o.rows_read;
            t.rows_inserted += o.rows_inserted;
            t.rows_duplicate += o.rows_duplicate;
            t.rows_rejected += o.rows_rejected;
            t.rows_replaced += o.rows_replaced;
        }
        t
    }
}

/// A file skipped because its content is that of another file.
pub struct Copy {
    pub path: PathBuf,
    /// The file whose content it repeats, as the ledger or this run names it.
    pub kept: String,
    /// Whether `kept` is loaded in this very run (else it was loaded before).
    pub in_this_run: bool,
}

/// A file the run will read.
pub struct Planned {
    pub meta: FileMeta,
    pub hash: String,
    pub file_id: i64,
}

pub fn ingest(wh: &Warehouse, spec: &Spec, opts: &Options) -> Result<Report> {
    let started = Instant::now();
    let mut report = Report::default();
    let todo = timed("plan", || plan(wh, spec, opts, &mut report))?;
    if !todo.is_empty() {
        let load = Load::start(wh, spec)?;
        match spec.staging {
            Staging::ParquetBatches { files_per_batch } => {
                bulk::load(&load, todo, files_per_batch, &mut report)?
            }
            Staging::StreamedLines { .. } | Staging::StagedLines => {
                load_lines(&load, todo, &mut report)?
            }
        }
    } else if let Some(step) = spec.after_load {
        let load = Load::start(wh, spec)?;
        let tx = wh.begin()?;
        let notes = step.run(&load)?;
        report.notes.extend(notes);
        tx.commit()?;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Decides per file: unchanged (skip), a copy of a file loaded before or earlier in this run (skip), or
/// to be read. Hashing runs on all cores.
fn plan(wh: &Warehouse, spec: &Spec, opts: &Options, report: &mut Report) -> Result<Vec<Planned>> {
    let found = discover::find_files(&opts.paths, spec.extensions)?;
    report.notes.extend(found.notes);
    let previous = ledger::previous_loads(wh, spec.name)?;
    let metas = found
        .files
        .iter()
        .map(|p| FileMeta::read(p))
        .collect::<Result<Vec<_>>>()?;
    // A text file never loaded before is hashed while it is staged (read once), not here, unless its
    // size is that of another file of this run or of a loaded file: only then can it be a copy.
    let mut sizes: HashMap<i64, usize> = HashMap::new();
    for m in &metas {
        *sizes.entry(m.size).or_default() += 1;
    }
    let loaded_sizes: std::collections::HashSet<i64> = previous.values().map(|p| p.size).collect();
    let defer = |m: &FileMeta| {
        !matches!(spec.staging, Staging::ParquetBatches { .. })
            && !discover::has_extension(&m.path, &[".parquet"])
            && m.path.file_name().and_then(|n| n.to_str()) != spec.reference_file
            && sizes.get(&m.size) == Some(&1)
            && !loaded_sizes.contains(&m.size)
    };
    let decisions = parallel_map(&metas, |m| {
        let previous = previous.get(&m.key());
        if previous.is_none() && defer(m) {
            return Ok(Decision::Load {
                hash: String::new(),
            });
        }
        ledger::decide(m, previous, opts.force)
    })?;
    let loaded_hashes: HashMap<&str, &str> = previous
        .iter()
        .map(|(path, p)| (p.hash.as_str(), path.as_str()))
        .collect();
    // The first file (in path order) with a content is read; a later one with the same content is a copy.
    let mut read_now: HashMap<String, String> = HashMap::new();
    let mut todo = Vec::new();
    for (meta, decision) in metas.into_iter().zip(decisions) {
        let hash = match decision {
            Decision::Unchanged => {
                report.unchanged.push(meta.path);
                continue;
            }
            Decision::Load { hash } => hash,
        };
        if !hash.is_empty() {
            let earlier = loaded_hashes
                .get(hash.as_str())
                .filter(|other| !opts.force && **other != meta.key())
                .map(|other| (other.to_string(), false))
                .or_else(|| read_now.get(&hash).map(|kept| (kept.clone(), true)));
            if let Some((kept, in_this_run)) = earlier {
                report.duplicate_files.push(Copy {
                    path: meta.path,
                    kept,
                    in_this_run,
                });
                continue;
            }
            read_now.insert(hash.clone(), meta.key());
        }
        todo.push(Planned {
            meta,
            hash,
            file_id: 0,
        });
    }
    Ok(todo)
}

/// One load (an `exercise ingest-data` run, or one batch of it): its ledger run id, dataset and start,
/// and the warehouse it writes.
pub struct Load<'a> {
    pub wh: &'a Warehouse,
    pub spec: &'a Spec,
    pub run_id: i64,
    pub started_us: i64,
}

impl<'a> Load<'a> {
    fn start(wh: &'a Warehouse, spec: &'a Spec) -> Result<Self> {
        let load = Load {
            wh,
            spec,
            run_id: wh.scalar("SELECT nextval('meta.load_run_id_seq')")?,
            started_us: ledger::now_us(),
        };
        wh.run(&format!(
            "SET VARIABLE run_id = {}; SET VARIABLE dataset = {}; SET VARIABLE started_us = {};
             SET preserve_insertion_order = false;",
            load.run_id,
            sql_string(spec.name),
            load.started_us
        ))?;
        wh.run_file("ingest/staging.sql")?;
        Ok(load)
    }

    /// Runs one of the dataset's SQL files (`sql/datasets/<name>/<file>`); with EXERCISE_TIMINGS on,
    /// statement by statement, each timed.
    pub fn sql(&self, file: &str) -> Result<()> {
        let path = format!("{}/{file}", self.spec.sql_dir);
        if !timings_on() {
            return self.wh.run_file(&path);
        }
        // Timed statement by statement (statements end with a semicolon at the end of a line).
        for (i, statement) in sqlfiles::get(&path)?.split(";\n").enumerate() {
            if statement
                .lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
            {
                timed(&format!("{file} #{i}"), || self.wh.run(statement))
                    .with_context(|| format!("running sql/{path}"))?;
            }
        }
        Ok(())
    }

    /// Gives the files ids from the ledger's sequence and lists them in `staged_files` (replacing what
    /// was there), in order: their position is their file_index.
    pub fn register(&self, files: &mut [Planned]) -> Result<()> {
        self.wh.run("DELETE FROM staged_files")?;
        let mut stmt = self
            .wh
            .conn
            .prepare("SELECT nextval('meta.file_load_id_seq') FROM range(?)")?;
        let ids = stmt
            .query_map([files.len() as i64], |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        for (f, id) in files.iter_mut().zip(&ids) {
            f.file_id = *id;
        }
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("file_id", Arc::new(Int64Array::from(ids))),
            (
                "file_index",
                Arc::new(Int64Array::from_iter_values(0..files.len() as i64)),
            ),
            (
                "path",
                Arc::new(StringArray::from_iter_values(
                    files.iter().map(|f| f.meta.key()),
                )),
            ),
            (
                "size_bytes",
                Arc::new(Int64Array::from_iter_values(
                    files.iter().map(|f| f.meta.size),
                )),
            ),
            (
                "modified_us",
                Arc::new(Int64Array::from_iter_values(
                    files.iter().map(|f| f.meta.modified_us),
                )),
            ),
            (
                "content_hash",
                Arc::new(StringArray::from_iter_values(
                    files.iter().map(|f| f.hash.as_str()),
                )),
            ),
        ];
        let batch = RecordBatch::try_from_iter(columns)?;
        let mut appender = self.wh.conn.appender("staged_files")?;
        appender.append_record_batch(batch)?;
        appender.flush().context("listing the staged files")?;
        Ok(())
    }

    /// Reads `file_accounting`, refuses a file whose rows do not add up, and writes the ledger rows.
    pub fn account_and_record(&self) -> Result<Vec<Outcome>> {
        let mut stmt = self.wh.conn.prepare(
            "SELECT f.path, a.rows_read, a.rows_inserted, a.rows_duplicate, a.rows_rejected,
                    a.rows_replaced, a.message
             FROM file_accounting a JOIN staged_files f USING (file_id) ORDER BY f.file_index",
        )?;
        let outcomes = stmt
            .query_map([], |r| {
                Ok(Outcome {
                    path: r.get(0)?,
                    rows_read: r.get(1)?,
                    rows_inserted: r.get(2)?,
                    rows_duplicate: r.get(3)?,
                    rows_rejected: r.get(4)?,
                    rows_replaced: r.get(5)?,
                    message: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()
            .context("reading the row accounting")?;
        for o in &outcomes {
            if !o.balances() {
                bail!(
                    "{}: row accounting does not balance: read {} != inserted {} + duplicates {} + rejected {}",
                    o.path,
                    o.rows_read,
                    o.rows_inserted,
                    o.rows_duplicate,
                    o.rows_rejected
                );
            }
        }
        self.wh.run_file("ingest/record_ledger.sql")?;
        Ok(outcomes)
    }

    /// How many rows of the staged files were rejected, and the first few.
    pub fn reject_samples(&self) -> Result<(i64, Vec<RejectSample>)> {
        let table = self.spec.rejects_table;
        let total: i64 = self.wh.scalar(&format!(
            "SELECT count(*) FROM {table} WHERE source_file_id IN (SELECT file_id FROM staged_files)"
        ))?;
        if total == 0 {
            return Ok((0, Vec::new()));
        }
        let mut stmt = self.wh.conn.prepare(&format!(
            "SELECT source_file, line_number, reason FROM {table}
             WHERE source_file_id IN (SELECT file_id FROM staged_files)
             ORDER BY source_file_id, line_number LIMIT 10"
        ))?;
        let samples = stmt
            .query_map([], |r| {
                Ok(RejectSample {
                    file: r.get(0)?,
                    line: r.get(1)?,
                    reason: r.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((total, samples))
    }
}

/// Stage every file's lines, type and merge them, all in one transaction.
fn load_lines(run: &Load, mut todo: Vec<Planned>, report: &mut Report) -> Result<()> {
    let wh = run.wh;
    let tx = wh.begin()?;
    run.register(&mut todo)?;
    let bar = progress_bar(
        todo.iter().map(|f| f.meta.size as u64).sum(),
        "{spinner} {msg:<12} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}",
    );
    bar.set_message("staging");
    let (text_files, text_bytes) = timed("staging", || stage_all_but_text(run, &todo, &bar))?;
    let hashes = if run.spec.streams_lines() {
        bar.set_message("loading");
        lines::stream_text_files(
            &text_files,
            text_bytes,
            run.spec.counts_json_keys(),
            &bar,
            |stream| {
                wh.run(&format!(
                    "CREATE OR REPLACE TEMP VIEW incoming_lines AS
                 SELECT * FROM staged_lines UNION ALL SELECT * FROM {stream}"
                ))?;
                run.sql("load.sql")
            },
        )?
    } else {
        let hashes = timed("staging text", || {
            lines::stream_text_files(
                &text_files,
                text_bytes,
                run.spec.counts_json_keys(),
                &bar,
                |stream| wh.run(&format!("INSERT INTO staged_lines SELECT * FROM {stream}")),
            )
        })?;
        bar.set_message("typing+merge");
        run.sql("load.sql")?;
        hashes
    };
    record_hashes(run, &todo, &hashes)?;
    timed("file errors", || check_file_errors(run))?;
    if let Some(step) = run.spec.after_load {
        bar.set_message("after load");
        let notes = timed("after load", || step.run(run))?;
        report.notes.extend(notes);
    }
    run.sql("accounting.sql")?;
    report.loaded = timed("ledger", || run.account_and_record())?;
    (report.rejects_total, report.reject_samples) = run.reject_samples()?;
    bar.finish_and_clear();
    timed("commit", || tx.commit())
}

/// Stages the reference file and Parquet files; returns the text files, which are read as the SQL
/// consumes them (`lines::stream_text_files`), and their total size.
fn stage_all_but_text<'a>(
    run: &Load,
    todo: &'a [Planned],
    bar: &ProgressBar,
) -> Result<(Vec<(i64, &'a Path)>, u64)> {
    let wh = run.wh;
    let mut text_files = Vec::new();
    let mut text_bytes = 0u64;
    let mut parquet_files = Vec::new();
    for f in todo {
        let name = f
            .meta
            .path
            .file_name()
            .map(|n| n.to_string_lossy().to_string());
        if name.is_some() && name.as_deref() == run.spec.reference_file {
            wh.run(&format!(
                "SET VARIABLE reference_file = {}; SET VARIABLE reference_file_id = {};",
                sql_string(&f.meta.key()),
                f.file_id
            ))?;
            run.sql("reference.sql")?;
            bar.inc(f.meta.size as u64);
        } else if discover::has_extension(&f.meta.path, &[".parquet"]) {
            if matches!(run.spec.staging, Staging::StagedLines) {
                parquet_files.push(f);
            } else {
                lines::stage_parquet_as_json(&wh.conn, f.file_id, &f.meta.path, bar)?;
            }
        } else {
            text_files.push((f.file_id, f.meta.path.as_path()));
            text_bytes += f.meta.size as u64;
        }
    }
    stage_parquet_by_sql(run, &parquet_files)?;
    bar.inc(parquet_files.iter().map(|f| f.meta.size as u64).sum());
    Ok((text_files, text_bytes))
}

/// New files were hashed while they were read (see `plan`): records their hashes in `staged_files`.
fn record_hashes(run: &Load, todo: &[Planned], hashes: &[(i64, String)]) -> Result<()> {
    let mut update = run
        .wh
        .conn
        .prepare("UPDATE staged_files SET content_hash = ? WHERE file_id = ?")?;
    for f in todo.iter().filter(|f| f.hash.is_empty()) {
        if let Some((_, hash)) = hashes.iter().find(|(id, _)| *id == f.file_id) {
            update.execute(duckdb::params![hash, f.file_id])?;
        }
    }
    Ok(())
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
    wh.run(&format!(
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
fn stage_parquet_by_sql(run: &Load, files: &[&Planned]) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    // Every file's schema in one read, on a connection of its own (a failure there leaves the load's
    // transaction usable); when that fails (or names a file otherwise), file by file, so that the error
    // names the file.
    let paths: Vec<String> = files.iter().map(|f| f.meta.key()).collect();
    let together: HashMap<String, String> = run
        .wh
        .conn
        .try_clone()
        .map_err(anyhow::Error::from)
        .and_then(|probe| missing_columns_parquet(&probe, run.spec.sql_dir, &paths))
        .map(|found| found.into_iter().collect())
        .unwrap_or_default();
    for path in &paths {
        let missing = match together.get(path) {
            Some(missing) => missing.clone(),
            None => missing_columns(run.wh, run.spec.sql_dir, path)?,
        };
        if !missing.is_empty() {
            bail!(
                "{path}: not a {} file: no column(s) {missing}",
                run.spec.name
            )
        }
    }
    let list: Vec<String> = files.iter().map(|f| sql_string(&f.meta.key())).collect();
    run.wh.run(&format!(
        "SET VARIABLE parquet_paths = [{}]::VARCHAR[]",
        list.join(", ")
    ))?;
    timed("parquet", || run.sql("stage_parquet.sql"))
}

fn check_file_errors(run: &Load) -> Result<()> {
    let sql = sqlfiles::get(&format!("{}/file_errors.sql", run.spec.sql_dir))?;
    let mut stmt = run.wh.conn.prepare(sql)?;
    let errors = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    if let Some((path, message)) = errors.first() {
        bail!("{path}: {message}");
    }
    Ok(())
}
