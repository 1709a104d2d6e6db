//! Ingestion: find files, consult the ledger, stage what changed, run the dataset's SQL, account for
//! every row and record the ledger. Votes load in one transaction (all or nothing); bulk datasets load
//! in batches of files, each its own transaction, so a bad file or an interruption costs only itself.
mod blocks;
pub mod bulk;
mod claims;
pub mod discover;
mod indexes;
pub mod ledger;
pub mod lines;
mod load;
mod parquet_footer;
pub mod plain_json;
mod plan;
mod stage;

pub use stage::missing_columns;

use crate::duck::sqlfiles;
use crate::duck::warehouse::Warehouse;
use crate::duck::{sql_string, timed, timings_on};
use anyhow::{bail, Context, Result};
use duckdb::arrow::array::{ArrayRef, Int64Array, StringArray};
use duckdb::arrow::record_batch::RecordBatch;
use ledger::{FileMeta, Outcome};
use std::path::PathBuf;
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
    /// A `typer` types the plainest lines in Rust (`lines::LineTyper`); SQL takes their values from its
    /// columns.
    StreamedLines {
        count_json_keys: bool,
        typer: Option<&'static dyn lines::LineTyper>,
        /// The files whose judged lines go straight into their table (needs a `typer`).
        straight: &'static [Straight],
    },
    /// Text lines copied into `staged_lines` first, for SQL that reads them several times; Parquet files
    /// read by DuckDB in one statement (`stage_parquet.sql`, after every file's columns are checked by
    /// `missing_columns_parquet.sql`). All files load in one transaction.
    StagedLines,
    /// Parquet files read by DuckDB directly (`read_parquet` over a batch), this many files per
    /// transaction: a bad file is retried alone and recorded as failed, the rest go on.
    ParquetBatches { files_per_batch: usize },
}

/// The lines a dataset's typer judges whole (`lines::Typed::Judged`) in the files of one kind
/// (`LineTyper::file_kind`), which go straight from the reader into their table rather than through
/// `load.sql`'s typing pass: `sql` (in the dataset's folder) inserts them from the view `judged_lines`
/// (the stream, where the column `judged` marks them; no text is sent) and keeps the first line of a key
/// as `first_of_key` says (with `FirstOfKey::Deleted`, by deleting the later ones listed in the view
/// `judged_repeats`: `file_id`, `line_no` of the judged lines whose key occurs on more than one). The
/// lines the typer left (as the read kept them, or read again by number: `lines::Lines`) go to
/// `load.sql` with the other files, which
/// weighs them against the rows of this run;
/// the temp table `judged_files` says how many lines each file read straight has and how many went
/// straight in (its accounting and file checks need it).
pub struct Straight {
    pub kind: u8,
    pub sql: &'static str,
    pub first_of_key: lines::FirstOfKey,
    /// The table `sql` inserts into, when the read may go straight only while that table is empty (at
    /// the start of the load). Votes: its unique index is then set aside (`Spec::indexed`); the index
    /// would refuse, mid-insert, the rows `load.sql` deletes after it (a line of an earlier file that SQL
    /// typed weighed against a judged line of a later one), and a later load finds earlier rows by it.
    /// Stocks: a later load's lines may repeat days already loaded, which straight rows would have to
    /// be deleted for. Into a table with rows, the files go to `load.sql` whole.
    pub while_empty: Option<&'static str>,
    /// The typer of these files' lines, when not the dataset's (`Staging::StreamedLines::typer`, which
    /// still says which files are of `kind`).
    pub typer: Option<&'static dyn lines::LineTyper>,
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
    /// A table whose indexes (`indexes.sql` in `sql_dir`) a load into it while it is empty builds once
    /// after its rows are in, rather than keeping them up row by row (`ingest::indexes`).
    pub indexed: Option<&'static str>,
    /// The file's name is part of its rows (stocks: the symbol): a file with the bytes of another, under
    /// another name, holds other rows and is read, not skipped as a copy.
    pub name_is_data: bool,
    /// A reject stands for a line of a file: read again (`--force`, a file that grew), a line already
    /// rejected with the same text counts as a duplicate and is not kept twice. Not for telemetry, whose
    /// rejects stand for landed rows (each load's rows are kept, and its rejects take them out of the
    /// readings view).
    pub rejects_are_lines: bool,
}

impl Spec {
    fn streams_lines(&self) -> bool {
        matches!(self.staging, Staging::StreamedLines { .. })
    }

    fn counts_json_keys(&self) -> bool {
        matches!(
            self.staging,
            Staging::StreamedLines {
                count_json_keys: true,
                ..
            }
        )
    }

    fn line_typer(&self) -> Option<&'static dyn lines::LineTyper> {
        match self.staging {
            Staging::StreamedLines { typer, .. } => typer,
            _ => None,
        }
    }

    /// The straight reads, when the reader types lines (not with `EXERCISE_TYPED_LINES=off`).
    fn straight(&self) -> &'static [Straight] {
        match self.staging {
            Staging::StreamedLines {
                typer: Some(_),
                straight,
                ..
            } if lines::typed_lines_on() => straight,
            _ => &[],
        }
    }
}

pub struct Options<'h> {
    pub paths: Vec<String>,
    pub force: bool,
    /// Run on the loaded data before the load commits (the data tests): `Some(reason)` rolls the load
    /// back and records its files as failed with that reason. Loads that commit batch by batch (sensor
    /// logs) run it after the last batch, when it can only report.
    pub before_commit: Option<&'h BeforeCommit<'h>>,
}

pub type BeforeCommit<'h> = dyn Fn(&Warehouse) -> Result<Option<String>> + Sync + 'h;

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
    /// The ledger run id of the load, when one started.
    pub run_id: Option<i64>,
    /// Why `before_commit` refused the load, and whether that rolled it back.
    pub refused: Option<(String, bool)>,
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
    /// The content hash; None for a text file that is hashed while it is read.
    pub hash: Option<String>,
}

/// A planned file listed in `staged_files` with its id from the ledger's sequence: only a registered
/// file has an id.
pub struct Registered<'a> {
    pub file: &'a Planned,
    pub file_id: i64,
}

impl std::ops::Deref for Registered<'_> {
    type Target = Planned;
    fn deref(&self) -> &Planned {
        self.file
    }
}

pub fn ingest(wh: &Warehouse, spec: &Spec, opts: &Options) -> Result<Report> {
    let started = Instant::now();
    let mut report = Report::default();
    let todo = timed("plan", || plan::plan(wh, spec, opts, &mut report))?;
    if !todo.is_empty() {
        let load = Load::start(wh, spec)?;
        report.run_id = Some(load.run_id);
        match spec.staging {
            Staging::ParquetBatches { files_per_batch } => {
                bulk::load(&load, todo, files_per_batch, &mut report)?;
                if let Some(check) = opts.before_commit {
                    report.refused = check(wh)?.map(|why| (why, false));
                }
            }
            Staging::StreamedLines { .. } | Staging::StagedLines => {
                let indexes = spec
                    .indexed
                    .map(|table| indexes::Indexes::new(table, spec.sql_dir));
                if let Some(ix) = indexes.as_ref() {
                    timed("indexes set aside", || ix.set_aside_if_empty(wh))?;
                }
                let loaded = load::load_lines(
                    &load,
                    todo,
                    opts.before_commit,
                    indexes.as_ref(),
                    &mut report,
                );
                // after a failed or refused load, the empty table gets back the indexes set aside
                let rebuilt = indexes.as_ref().map_or(Ok(()), |ix| ix.build_missing(wh));
                match (loaded, rebuilt) {
                    (Err(load), Err(build)) => {
                        return Err(load.context(format!("and after the failed load: {build:#}")))
                    }
                    (loaded, rebuilt) => {
                        loaded?;
                        rebuilt?;
                    }
                }
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

/// The columns of the temp table `file_accounting` that every dataset's SQL leaves, one row per staged
/// file (`sql/datasets/_template/README.md`), as `account_and_record` reads them.
pub const ACCOUNTING_COLUMNS: [&str; 7] = [
    "file_id",
    "rows_read",
    "rows_inserted",
    "rows_duplicate",
    "rows_rejected",
    "rows_replaced",
    "message",
];

/// Records a file of this load as failed in the ledger, with the reason; the next run tries it again.
fn record_failure(load: &Load, file: &Planned, hash: &str, why: &str) -> Result<()> {
    let path = file.meta.key();
    load.wh
        .conn
        .execute(
            sqlfiles::get("ingest/record_failure.sql")?,
            duckdb::params![path, file.meta.size, file.meta.modified_us, hash, why],
        )
        .with_context(|| format!("recording the failure of {path}"))?;
    Ok(())
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
        wh.execute(&format!(
            "SET VARIABLE run_id = {}; SET VARIABLE dataset = {}; SET VARIABLE started_us = {};
             SET preserve_insertion_order = false;",
            load.run_id,
            sql_string(spec.name),
            load.started_us
        ))?;
        wh.execute_file("ingest/staging.sql")?;
        wh.execute_file("ingest/shared.sql")?;
        Ok(load)
    }

    /// Runs one of the dataset's SQL files (`sql/datasets/<name>/<file>`); with EXERCISE_TIMINGS on,
    /// statement by statement, each timed.
    pub fn sql(&self, file: &str) -> Result<()> {
        let path = format!("{}/{file}", self.spec.sql_dir);
        if !timings_on() {
            return self.wh.execute_file(&path);
        }
        // Timed statement by statement (statements end with a semicolon at the end of a line).
        for (i, statement) in sqlfiles::get(&path)?.split(";\n").enumerate() {
            if statement
                .lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
            {
                timed(&format!("{file} #{i}"), || self.wh.execute(statement))
                    .with_context(|| format!("running sql/{path}"))?;
            }
        }
        Ok(())
    }

    /// Gives the files ids from the ledger's sequence and lists them in `staged_files` (replacing what
    /// was there), in order: their position is their file_index.
    pub fn register<'f>(&self, files: &'f [Planned]) -> Result<Vec<Registered<'f>>> {
        self.wh.execute("DELETE FROM staged_files")?;
        let mut stmt = self
            .wh
            .conn
            .prepare("SELECT nextval('meta.file_load_id_seq') FROM range(?)")?;
        let ids = stmt
            .query_map([files.len() as i64], |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        let registered = files
            .iter()
            .zip(&ids)
            .map(|(file, &file_id)| Registered { file, file_id })
            .collect();
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
                Arc::new(StringArray::from_iter(
                    files.iter().map(|f| f.hash.as_deref()),
                )),
            ),
        ];
        let batch = RecordBatch::try_from_iter(columns)?;
        self.wh
            .append("staged_files", batch, "listing the staged files")?;
        Ok(registered)
    }

    /// Reads `file_accounting`, refuses a file whose rows do not add up, and writes the ledger rows.
    pub fn account_and_record(&self) -> Result<Vec<Outcome>> {
        let [file_id, read, inserted, duplicate, rejected, replaced, message] = ACCOUNTING_COLUMNS;
        let mut stmt = self.wh.conn.prepare(&format!(
            "SELECT f.path, a.{read}, a.{inserted}, a.{duplicate}, a.{rejected}, a.{replaced}, a.{message}
             FROM file_accounting a JOIN staged_files f USING ({file_id}) ORDER BY f.file_index"
        ))?;
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
        self.wh.execute_file("ingest/record_ledger.sql")?;
        Ok(outcomes)
    }

    /// Counts a rejected line that an earlier load of the same file already quarantined as a duplicate
    /// of that reject, and removes the second copy (`sql/ingest/known_rejects.sql`); for datasets whose
    /// rejects stand for lines (`Spec::rejects_are_lines`).
    pub fn set_known_rejects_aside(&self) -> Result<()> {
        if !self.spec.rejects_are_lines {
            return Ok(());
        }
        let sql = sqlfiles::get("ingest/known_rejects.sql")?
            .replace("{rejects}", self.spec.rejects_table);
        self.wh
            .execute(&sql)
            .context("setting aside the rejects an earlier load already kept")
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
