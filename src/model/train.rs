//! `exercise train`: reads the features from the warehouse, splits by date, grows the forest, evaluates
//! it against two baselines on the same test days (and on the work sample's random split), writes the
//! model file and its log, and records the run in `market.model_runs`.
use super::metrics::{Line, Metrics};
use super::{file, Evaluation, Metadata, Params, Snapshot, Software, FEATURES, TARGET};
use crate::duck::sqlfiles;
use crate::duck::warehouse::{memory_limit, Warehouse};
use crate::forest::{Columns, Forest};
use anyhow::{bail, Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use duckdb::arrow::array::{Array, Float64Array, Int32Array};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub struct Options {
    pub params: Params,
    /// First day of the test period; default: the last 20% of the date range.
    pub test_from: Option<NaiveDate>,
    pub lag_days: u32,
    /// Also train and evaluate on a random 80/20 split of the rows (the work sample's method).
    pub random_split: bool,
    /// Where the model file goes; default: `models/` beside the warehouse.
    pub out: Option<PathBuf>,
}

/// What a training run produced.
pub struct Trained {
    pub model_run_id: i64,
    pub path: PathBuf,
    pub bytes: u64,
    pub metadata: Metadata,
    pub seconds: f64,
    pub peak_memory_bytes: Option<u64>,
}

/// Rows by column: the day (days since 1970-01-01), the target, the features.
#[derive(Default)]
struct Rows {
    day: Vec<i32>,
    y: Vec<f64>,
    x: Vec<Vec<f64>>,
}

impl Rows {
    fn len(&self) -> usize {
        self.y.len()
    }

    /// The rows for which `is_test` holds, and the others, as (train, test).
    fn split(&self, is_test: impl Fn(usize) -> bool) -> (Rows, Rows) {
        let mut train = Rows {
            x: vec![Vec::new(); self.x.len()],
            ..Rows::default()
        };
        let mut test = Rows {
            x: vec![Vec::new(); self.x.len()],
            ..Rows::default()
        };
        for i in 0..self.len() {
            let to = if is_test(i) { &mut test } else { &mut train };
            to.day.push(self.day[i]);
            to.y.push(self.y[i]);
            for (f, column) in self.x.iter().enumerate() {
                to.x[f].push(column[i]);
            }
        }
        (train, test)
    }

    fn row(&self, i: usize) -> Vec<f64> {
        self.x.iter().map(|c| c[i]).collect()
    }
}

struct Log {
    lines: Vec<String>,
    started: Instant,
}

impl Log {
    fn say(&mut self, line: impl Into<String>) {
        let line = format!(
            "[{:7.1}s] {}",
            self.started.elapsed().as_secs_f64(),
            line.into()
        );
        eprintln!("{line}");
        self.lines.push(line);
    }
}

pub fn train(wh: &Warehouse, options: &Options) -> Result<Trained> {
    let started = Instant::now();
    let mut log = Log {
        lines: Vec::new(),
        started,
    };
    let trained_at = Utc::now();
    // before any tree grows: a model that cannot be written is found out now, not after the training
    check_model_dir(wh, options)?;
    let snapshot = ledger_snapshot(wh)?;
    let rows = read_rows(wh, options.lag_days)?;
    log.say(format!(
        "read {} rows of market.features with both features (lag {} days) from {} stock files; peak memory so far {}",
        rows.len(),
        options.lag_days,
        snapshot.0,
        gigabytes(peak_memory_bytes())
    ));
    if rows.len() < 2 {
        bail!("market.features has {} rows with features (lag {} days): too few to train on; load stock prices first (`exercise ingest-data --dataset stocks`)", rows.len(), options.lag_days);
    }
    let (first, last) = day_range(&rows);
    let test_from = match options.test_from {
        Some(date) => days_of(date),
        None => first + ((last - first) as f64 * 0.8).ceil() as i32,
    };
    // The split is checked before any tree grows (the random split's model comes first).
    let test_rows = rows.day.iter().filter(|d| **d >= test_from).count();
    if test_rows == 0 || test_rows == rows.len() {
        bail!(
            "the split at {} leaves {} training and {} test rows: choose a --test-from between {} and {}",
            date_of(test_from),
            rows.len() - test_rows,
            test_rows,
            date_of(first + 1),
            date_of(last)
        );
    }
    let random = if options.random_split {
        random_split_metrics(&rows, options, &mut log)?
    } else {
        None
    };
    let (train, test) = rows.split(|i| rows.day[i] >= test_from);
    let rows_available = rows.len() as u64;
    drop(rows);
    log.say(format!(
        "split by date: {} training rows before {}, {} test rows from it to {}",
        train.len(),
        date_of(test_from),
        test.len(),
        date_of(last)
    ));
    let forest = grow(&train, &options.params, "date split", &mut log)?;
    let evaluation = evaluate(&forest, &train, &test, random);
    log.say(format!(
        "test MAE {:.0}, R² {:.4}; baseline vol_moving_avg MAE {:.0}; the model {} the baseline",
        evaluation.test.mae,
        evaluation.test.r2,
        evaluation.baseline_moving_avg.mae,
        if evaluation.beats_baseline {
            "beats"
        } else {
            "does NOT beat"
        }
    ));
    // The run's id is taken now, so that the version and the file name are unique even for two runs
    // of the same trees in the same second.
    let model_run_id: i64 = wh.scalar("SELECT nextval('market.model_run_ids')")?;
    let model_version = format!(
        "{}-r{model_run_id}-{:08x}",
        trained_at.format("%Y%m%dT%H%M%SZ"),
        file::forest_digest(&forest) as u32
    );
    let metadata = Metadata {
        model_version,
        trained_at: trained_at.to_rfc3339(),
        target: TARGET.to_string(),
        features: FEATURES.iter().map(|f| f.to_string()).collect(),
        lag_days: options.lag_days,
        params: options.params.clone(),
        training_data: Snapshot {
            warehouse: wh.path.display().to_string(),
            rows_available,
            train_rows: train.len() as u64,
            test_rows: test.len() as u64,
            first_day: date_of(first),
            test_from: date_of(test_from),
            last_day: date_of(last),
            ledger_files: snapshot.0,
            ledger_last_load_id: snapshot.1,
            ledger_hash: snapshot.2,
        },
        software: Software {
            exercise: env!("CARGO_PKG_VERSION").to_string(),
            duckdb: wh.scalar::<String>("SELECT version()")?,
            model_format: file::FORMAT_VERSION,
        },
        evaluation,
    };
    let bytes = file::encode(&metadata, &forest)?;
    let path = model_path(wh, options, &metadata.model_version)?;
    file::save(&path, &bytes)?;
    log.say(format!(
        "wrote {} ({:.1} MB, {} trees, {} nodes)",
        path.display(),
        bytes.len() as f64 / 1e6,
        forest.trees.len(),
        forest.node_count()
    ));
    let seconds = started.elapsed().as_secs_f64();
    let peak = peak_memory_bytes();
    record(
        wh,
        model_run_id,
        &metadata,
        &forest,
        &path,
        &bytes,
        seconds,
        peak,
    )?;
    log.say(format!(
        "recorded as model run {model_run_id} in market.model_runs"
    ));
    let log_path = path.with_extension("log");
    std::fs::write(&log_path, log.lines.join("\n") + "\n")
        .with_context(|| format!("cannot write the training log {}", log_path.display()))?;
    Ok(Trained {
        model_run_id,
        path,
        bytes: bytes.len() as u64,
        metadata,
        seconds,
        peak_memory_bytes: peak,
    })
}

fn grow(train: &Rows, params: &Params, what: &str, log: &mut Log) -> Result<Forest> {
    let bar = crate::par::progress_bar(
        params.trees as u64,
        &format!("growing trees ({what}) {{bar:30}} {{pos}}/{{len}} [{{elapsed}}]"),
    );
    let forest = Forest::fit(
        &Columns {
            x: &train.x,
            y: &train.y,
        },
        params,
        || bar.inc(1),
    )?;
    bar.finish_and_clear();
    log.say(format!(
        "grew {} trees ({what}), {} nodes, deepest {}",
        forest.trees.len(),
        forest.node_count(),
        forest.trees.iter().map(|t| t.depth()).max().unwrap_or(0)
    ));
    Ok(forest)
}

/// The work sample's evaluation: a random fifth of the rows held out, whatever their date. It flatters
/// the model: a test row's 30-day window overlaps its neighbours' windows in the training rows.
fn random_split_metrics(rows: &Rows, options: &Options, log: &mut Log) -> Result<Option<Metrics>> {
    let seed = options.params.seed;
    let (train, test) = rows.split(|i| is_random_test_row(seed, i));
    log.say(format!(
        "random split: {} training rows, {} test rows",
        train.len(),
        test.len()
    ));
    if train.len() == 0 || test.len() == 0 {
        log.say("random split: skipped, one side is empty (too few rows)");
        return Ok(None);
    }
    let forest = grow(&train, &options.params, "random split", log)?;
    let metrics = Metrics::of(&test.y, &predict_all(&forest, &test));
    log.say(format!(
        "random split: test MAE {:.0}, R² {:.4}",
        metrics.mae, metrics.r2
    ));
    Ok(Some(metrics))
}

/// One row in five, chosen by a hash of the row's position and the seed (no shuffle to hold in memory).
fn is_random_test_row(seed: u64, row: usize) -> bool {
    let h = xxhash_rust::xxh3::xxh3_64_with_seed(&(row as u64).to_le_bytes(), seed);
    h.is_multiple_of(5)
}

fn evaluate(forest: &Forest, train: &Rows, test: &Rows, random: Option<Metrics>) -> Evaluation {
    let test_metrics = Metrics::of(&test.y, &predict_all(forest, test));
    // vol_moving_avg is the first feature: the baseline predicts it as the volume.
    let baseline_moving_avg = Metrics::of(&test.y, &test.x[0]);
    let line = Line::fit(&train.x, &train.y);
    let linear: Vec<f64> = (0..test.len())
        .map(|i| line.predict(&test.row(i)))
        .collect();
    let beats_baseline = test_metrics.mae < baseline_moving_avg.mae;
    Evaluation {
        test: test_metrics,
        baseline_moving_avg,
        baseline_linear: Metrics::of(&test.y, &linear),
        linear_coefficients: line.coefficients,
        random_split: random,
        beats_baseline,
    }
}

/// The forest's predictions for every row, on all cores.
fn predict_all(forest: &Forest, rows: &Rows) -> Vec<f64> {
    let n = rows.len();
    let cores = std::thread::available_parallelism()
        .map(|c| c.get())
        .unwrap_or(1);
    let chunk = n.div_ceil(cores).max(1);
    let mut out = vec![0.0; n];
    std::thread::scope(|s| {
        for (part, slots) in out.chunks_mut(chunk).enumerate() {
            let start = part * chunk;
            let x: Vec<&[f64]> = rows
                .x
                .iter()
                .map(|c| &c[start..start + slots.len()])
                .collect();
            s.spawn(move || forest.predict_rows(&x, slots));
        }
    });
    out
}

/// (files, newest load id, fingerprint of their content hashes).
fn ledger_snapshot(wh: &Warehouse) -> Result<(u64, Option<i64>, String)> {
    let sql = sqlfiles::get("models/ledger_snapshot.sql")?;
    let (files, last, hashes): (i64, Option<i64>, String) = wh
        .conn
        .query_row(sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .context("reading the stock loads from meta.file_loads")?;
    let fingerprint = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(hashes.as_bytes()));
    Ok((files as u64, last, fingerprint))
}

fn read_rows(wh: &Warehouse, lag_days: u32) -> Result<Rows> {
    let file = if lag_days == 0 {
        "models/training_rows.sql"
    } else {
        wh.execute(&format!("SET VARIABLE model_lag = {lag_days}"))?;
        "models/training_rows_lagged.sql"
    };
    // The rows are sorted (for a reproducible bootstrap) and copied into our own columns as they come:
    // DuckDB's share of memory is the sort, which spills beyond this bound at no measured cost
    // (BENCHMARKS.md, training). An explicit EXERCISE_MEMORY_LIMIT is left as set.
    let bounded = std::env::var_os("EXERCISE_MEMORY_LIMIT").is_none();
    if bounded {
        wh.execute("SET memory_limit = '512MB'")?;
    }
    let rows = read_sorted_rows(wh, file);
    if bounded {
        wh.execute(&format!("SET memory_limit = '{}'", memory_limit()?))?;
    }
    rows
}

fn read_sorted_rows(wh: &Warehouse, file: &str) -> Result<Rows> {
    let mut stmt = wh.conn.prepare(sqlfiles::get(file)?)?;
    let mut rows = Rows {
        x: vec![Vec::new(); FEATURES.len()],
        ..Rows::default()
    };
    for batch in stmt.query_arrow([]).context("reading market.features")? {
        let day = column::<Int32Array>(&batch, 0)?;
        rows.day.extend(day.values().iter());
        rows.y
            .extend(column::<Float64Array>(&batch, 1)?.values().iter());
        for f in 0..FEATURES.len() {
            rows.x[f].extend(column::<Float64Array>(&batch, 2 + f)?.values().iter());
        }
    }
    Ok(rows)
}

fn column<T: Array + 'static>(
    batch: &duckdb::arrow::record_batch::RecordBatch,
    i: usize,
) -> Result<&T> {
    let array = batch.column(i);
    if array.null_count() > 0 {
        bail!("column {i} of the training rows has NULLs");
    }
    array.as_any().downcast_ref::<T>().with_context(|| {
        format!(
            "column {i} of the training rows has type {}",
            array.data_type()
        )
    })
}

fn day_range(rows: &Rows) -> (i32, i32) {
    let first = rows.day.iter().copied().min().unwrap_or(0);
    let last = rows.day.iter().copied().max().unwrap_or(0);
    (first, last)
}

const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => panic!("1970-01-01 is a date"),
};

fn days_of(date: NaiveDate) -> i32 {
    (date - EPOCH).num_days() as i32
}

fn date_of(days: i32) -> String {
    (EPOCH + chrono::Duration::days(i64::from(days))).to_string()
}

fn model_path(wh: &Warehouse, options: &Options, version: &str) -> Result<PathBuf> {
    let path = match &options.out {
        Some(path) => path.clone(),
        None => default_model_dir(wh).join(format!("volume-{version}.model")),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))?;
    Ok(dir.join(path.file_name().context("the model path names no file")?))
}

/// `models/` beside the warehouse.
fn default_model_dir(wh: &Warehouse) -> PathBuf {
    let dir = wh
        .path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.join("models")
}

/// The folder the model will be written to exists (it is created) and takes a new file: a file is made
/// there and removed again.
fn check_model_dir(wh: &Warehouse, options: &Options) -> Result<()> {
    let dir = match &options.out {
        Some(path) => path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf(),
        None => default_model_dir(wh),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let probe = dir.join(format!(".exercise-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .with_context(|| format!("cannot write the model into {}", dir.display()))?;
    std::fs::remove_file(&probe).with_context(|| format!("cannot remove {}", probe.display()))
}

#[allow(clippy::too_many_arguments)]
fn record(
    wh: &Warehouse,
    model_run_id: i64,
    m: &Metadata,
    forest: &Forest,
    path: &Path,
    bytes: &[u8],
    seconds: f64,
    peak: Option<u64>,
) -> Result<()> {
    let trained_at: DateTime<Utc> = m.trained_at.parse()?;
    let row = serde_json::json!({
        "model_run_id": model_run_id,
        "trained_at": trained_at.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        "model_version": m.model_version,
        "model_path": path.display().to_string(),
        "model_bytes": bytes.len(),
        "model_hash": format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes)),
        "target": m.target,
        "features": m.features,
        "lag_days": m.lag_days,
        "trees": m.params.trees,
        "max_depth": m.params.max_depth,
        "min_samples_leaf": m.params.min_samples_leaf,
        "max_samples": m.params.max_samples,
        "bootstrap": m.params.bootstrap,
        "seed": m.params.seed,
        "rows_available": m.training_data.rows_available,
        "train_rows": m.training_data.train_rows,
        "test_rows": m.training_data.test_rows,
        "test_from": m.training_data.test_from,
        "node_count": forest.node_count(),
        "seconds": seconds,
        "peak_memory_bytes": peak,
        "ledger_files": m.training_data.ledger_files,
        "ledger_last_load_id": m.training_data.ledger_last_load_id,
        "ledger_hash": m.training_data.ledger_hash,
        "test": m.evaluation.test,
        "baseline_moving_avg": m.evaluation.baseline_moving_avg,
        "baseline_linear": m.evaluation.baseline_linear,
        "random_split": m.evaluation.random_split,
        "beats_baseline": m.evaluation.beats_baseline,
    });
    let sql = sqlfiles::get("models/record_run.sql")?;
    wh.conn
        .execute(sql, [row.to_string()])
        .context("recording the training run in market.model_runs")?;
    Ok(())
}

pub fn gigabytes(bytes: Option<u64>) -> String {
    bytes
        .map(|b| format!("{:.2} GB", b as f64 / 1e9))
        .unwrap_or_else(|| "unknown".into())
}

/// The process's peak resident memory so far (Linux: VmHWM), or None where the system does not say.
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
