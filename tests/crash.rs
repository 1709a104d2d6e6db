//! Crash safety: `exercise ingest-data` killed with SIGKILL (no chance to clean up) at pseudo-random
//! moments, for votes, sensor logs and robot telemetry. After every kill the warehouse must open, its
//! ledger must agree with every fact table file by file, and no fact row may exist without a `loaded`
//! ledger row; the same ingest re-run to completion must then exit 0 and leave exactly the tables of a
//! clean load of the same files into a fresh warehouse.
//!
//! Every kill starts from a fresh warehouse (a kill of a load into a full warehouse would test nothing).
//! The kill delays come from a seeded xorshift generator, one in each tenth of a span slightly longer
//! than a full load (the clean one, measured first, then the latest re-run from nothing), so a run kills at the
//! same moments as the last one, relative to the load's duration, and covers the whole load: before the
//! warehouse exists, during migration, staging, each commit, and after the process has already exited.
mod common;
use common::Workspace;
use std::fs::File;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KILLS: usize = 10;
/// The kill delays spread over 0 .. SPAN x the wall time of a full load.
const SPAN: f64 = 1.2;

/// xorshift64*: a tiny seeded generator, so the kill moments are reproducible.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One dataset's crash suite.
struct Crash {
    /// `--dataset` of the load and `meta.file_loads.dataset`.
    dataset: &'static str,
    /// What `ingest-data` is given (absolute paths).
    inputs: Vec<String>,
    /// Every file the load reads, in the order it reads them (path order).
    files: Vec<PathBuf>,
    /// The load is one transaction: a kill leaves all of it or nothing, never some files.
    atomic: bool,
    /// Per-file counts the ledger must agree with: (table, file id column, ledger column).
    per_file: &'static [(&'static str, &'static str, &'static str)],
    /// Further tables whose rows must all belong to a file with a `loaded` ledger row: (table, column).
    provenance: &'static [(&'static str, &'static str)],
    /// Further checks: a query returning one row (one column, a description) per violation.
    extra_checks: &'static str,
    /// One row describing the tables' contents, compared with the clean reference load.
    fingerprint: &'static str,
    seed: u64,
}

/// What a kill left in the warehouse.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// The process died before the warehouse file existed.
    NoWarehouse,
    /// No file of the load committed.
    Nothing,
    /// Some files committed (their number).
    Partial(usize),
    /// Every file committed.
    Complete,
}

fn exercise_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("exercise")
}

fn warehouse_files(ws: &Workspace) -> Vec<PathBuf> {
    let db = ws.db();
    let name = db.file_name().unwrap().to_string_lossy().into_owned();
    ["", ".wal", ".tmp"]
        .iter()
        .map(|suffix| db.with_file_name(format!("{name}{suffix}")))
        .collect()
}

/// Removes the warehouse and whatever DuckDB keeps beside it, for a fresh start.
fn remove_warehouse(ws: &Workspace) {
    for path in warehouse_files(ws) {
        if path.is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        } else if path.exists() {
            std::fs::remove_file(&path).unwrap();
        }
    }
}

/// Starts `exercise ingest-data` as a child process, its stdout and stderr going to `log`.
fn spawn_ingest(ws: &Workspace, c: &Crash, log: &Path) -> std::process::Child {
    let out = File::create(log).unwrap();
    let err = out.try_clone().unwrap();
    Command::new(exercise_bin())
        .current_dir(ws.dir.path())
        .env("WAREHOUSE_DB", ws.db())
        .env_remove("EXERCISE_DATA_URL")
        .env_remove("EXERCISE_TIMINGS")
        .args(["ingest-data", "--dataset", c.dataset])
        // generated data has bad rows on purpose: they are quarantined, and the exit code stays 0
        .args(["--max-rejects", "1000000000"])
        .args(&c.inputs)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("start exercise ingest-data")
}

/// Runs the ingest to its end: (exit status, its output, wall time).
fn ingest_to_end(ws: &Workspace, c: &Crash) -> (std::process::ExitStatus, String, Duration) {
    let log = ws.path("ingest.log");
    let started = Instant::now();
    let status = spawn_ingest(ws, c, &log).wait().unwrap();
    let elapsed = started.elapsed();
    (status, std::fs::read_to_string(&log).unwrap(), elapsed)
}

/// `exercise query --format csv SQL`: the rows without the header, or the error on stderr.
fn try_query(ws: &Workspace, sql: &str) -> Result<Vec<String>, String> {
    let out = ws
        .exercise()
        .args(["query", "--format", "csv", sql])
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let text = String::from_utf8(out.stdout).unwrap();
    // one column: a value the CSV quoted (it has a comma or a quote) is shown unquoted
    let unquote = |line: &str| match line.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => line.to_string(),
    };
    Ok(text.lines().skip(1).map(unquote).collect())
}

fn query(ws: &Workspace, sql: &str) -> Vec<String> {
    try_query(ws, sql).unwrap_or_else(|e| panic!("query failed: {e}\n{sql}"))
}

/// Every violated invariant of the ledger against the fact tables, one line each (empty: all hold).
fn violations(ws: &Workspace, c: &Crash) -> Vec<String> {
    let loaded = format!(
        "(SELECT file_load_id FROM meta.file_loads WHERE dataset = '{}' AND status = 'loaded')",
        c.dataset
    );
    let mut parts = vec![format!(
        "SELECT 'ledger row ' || file_load_id || ' (' || path || '): read ' || rows_read || ' <> inserted '
                || rows_inserted || ' + duplicates ' || rows_duplicate || ' + rejected ' || rows_rejected
         FROM meta.file_loads
         WHERE dataset = '{}' AND rows_read <> rows_inserted + rows_duplicate + rows_rejected",
        c.dataset
    )];
    for (table, column, ledger) in c.per_file {
        // the ledger's figure for each loaded file equals the rows of that file in the table
        parts.push(format!(
            "SELECT '{table}: file ' || l.file_load_id || ' has ' || coalesce(t.n, 0) || ' rows, the ledger''s {ledger} says ' || l.{ledger}
             FROM meta.file_loads l
             LEFT JOIN (SELECT {column} AS id, count(*) AS n FROM {table} GROUP BY ALL) t ON t.id = l.file_load_id
             WHERE l.dataset = '{dataset}' AND l.status = 'loaded' AND coalesce(t.n, 0) <> l.{ledger}",
            dataset = c.dataset
        ));
    }
    let orphans = c
        .per_file
        .iter()
        .map(|(table, column, _)| (*table, *column))
        .chain(c.provenance.iter().copied());
    for (table, column) in orphans {
        // no row of a file without a loaded ledger row
        parts.push(format!(
            "SELECT '{table}: ' || n || ' rows of file ' || id || ', which has no loaded ledger row'
             FROM (SELECT {column} AS id, count(*) AS n FROM {table} GROUP BY ALL)
             WHERE id NOT IN {loaded}"
        ));
    }
    if !c.extra_checks.is_empty() {
        parts.push(c.extra_checks.to_string());
    }
    query(ws, &parts.join("\nUNION ALL\n"))
}

/// The paths of the files the ledger says are loaded.
fn loaded_paths(ws: &Workspace, c: &Crash) -> Vec<String> {
    query(
        ws,
        &format!(
            "SELECT path FROM meta.file_loads WHERE dataset = '{}' AND status = 'loaded' ORDER BY path",
            c.dataset
        ),
    )
    .into_iter()
    .collect()
}

/// "votes: 3 file(s) loaded, 1 unchanged and skipped, 0 failed, in 0.25 s" -> (3, 1, 0)
fn load_summary(dataset: &str, output: &str) -> (usize, usize, usize) {
    let line = output
        .lines()
        .find(|l| l.starts_with(&format!("{dataset}: ")))
        .unwrap_or_else(|| panic!("no summary line in the output:\n{output}"));
    let numbers: Vec<usize> = line[dataset.len() + 1..]
        .split(|ch: char| !ch.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    (numbers[0], numbers[1], numbers[2])
}

fn run_crash_suite(ws: &Workspace, c: &Crash) {
    let suite_started = Instant::now();
    let total_files = c.files.len();
    let absolute: Vec<String> = c
        .files
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();

    // The clean reference load, which also says how long a load takes.
    remove_warehouse(ws);
    let (status, output, clean) = ingest_to_end(ws, c);
    assert!(status.success(), "the clean load failed:\n{output}");
    assert_eq!(
        load_summary(c.dataset, &output),
        (total_files, 0, 0),
        "{output}"
    );
    let problems = violations(ws, c);
    assert!(problems.is_empty(), "after the clean load: {problems:#?}");
    assert_eq!(loaded_paths(ws, c), absolute, "the clean load's ledger");
    let reference = query(ws, c.fingerprint);
    assert_eq!(reference.len(), 1);

    let mut rng = XorShift(c.seed);
    // The latest full load: the clean one, then every re-run that had to load everything. The other
    // suites run beside this one on the same two cores, starting and finishing at other times, so a
    // load can take twice as long as the clean one did, or half: the span follows the latest one.
    let mut full_load = clean;
    let mut longest = clean;
    let mut spans = Vec::new();
    let (mut no_warehouse, mut nothing, mut partial, mut complete) = (0, 0, 0, 0);
    let (mut exited_before_kill, mut migrate_needed, mut wal_left, mut exact) = (0, 0, 0, 0);
    let mut partial_counts = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut reader_errors: Vec<String> = Vec::new();
    for i in 0..KILLS {
        remove_warehouse(ws);
        // one delay in each tenth of the span, so the kills cover the whole load
        let span = full_load.as_secs_f64() * SPAN;
        spans.push(span);
        let delay = Duration::from_secs_f64(span * (i as f64 + rng.unit()) / KILLS as f64);
        let log = ws.path("killed.log");
        let mut child = spawn_ingest(ws, c, &log);
        std::thread::sleep(delay);
        // SIGKILL; an error only means the process had already been reaped, which it has not
        child.kill().expect("SIGKILL the load");
        let status = child.wait().unwrap();
        let what = format!("kill {i} after {:.3} s", delay.as_secs_f64());
        if status.signal() != Some(9) {
            exited_before_kill += 1;
            assert!(
                status.success(),
                "{what}: the load ended by itself, and failed:\n{}",
                std::fs::read_to_string(&log).unwrap()
            );
        }

        if warehouse_files(ws)[1].exists() {
            wal_left += 1;
        }
        // 1. the warehouse opens
        let state = if !ws.db().exists() {
            no_warehouse += 1;
            State::NoWarehouse
        } else {
            if let Err(error) = try_query(ws, "SELECT count(*) FROM meta.file_loads") {
                // `exercise query` opens the warehouse read-only and does no schema work: a kill
                // during the first open leaves a file that refuses readers ("not an exercise
                // warehouse", "needs migrating", "the views ... are not this build's"), as a WAL
                // needing replay could. A writer (`exercise migrate`) finishes the schema and replays
                // the WAL; it must succeed, and the reader after it too. Counted in the summary.
                migrate_needed += 1;
                reader_errors.push(format!("{what}: {error}"));
                let out = ws.exercise().arg("migrate").output().unwrap();
                assert!(
                    out.status.success(),
                    "{what}: the warehouse does not open, not even for `exercise migrate`: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                if let Err(error) = try_query(ws, "SELECT count(*) FROM meta.file_loads") {
                    panic!("{what}: the warehouse does not open after `exercise migrate`: {error}");
                }
            }
            // 2. and 3. the ledger agrees with every table, and no row is without its ledger row
            for problem in violations(ws, c) {
                failures.push(format!("{what}: {problem}"));
            }
            let loaded = loaded_paths(ws, c);
            // files are loaded in path order, so what committed is the first files
            if loaded[..] != absolute[..loaded.len().min(total_files)] {
                failures.push(format!(
                    "{what}: the {} files loaded are not the first ones in path order",
                    loaded.len()
                ));
            }
            match loaded.len() {
                0 => {
                    nothing += 1;
                    State::Nothing
                }
                n if n == total_files => {
                    complete += 1;
                    State::Complete
                }
                n => {
                    partial += 1;
                    partial_counts.push(n);
                    if c.atomic {
                        failures.push(format!(
                            "{what}: {n} of {total_files} files committed by a one-transaction load"
                        ));
                    }
                    State::Partial(n)
                }
            }
        };

        // The same ingest again, to its end: it resumes after what committed and ends exactly where a
        // clean load does.
        let (status, output, took) = ingest_to_end(ws, c);
        if !status.success() {
            failures.push(format!("{what} ({state:?}): the re-run failed:\n{output}"));
            continue;
        }
        let committed = match state {
            State::NoWarehouse | State::Nothing => 0,
            State::Partial(n) => n,
            State::Complete => total_files,
        };
        if committed == 0 {
            full_load = took;
            longest = longest.max(took);
        }
        let summary = load_summary(c.dataset, &output);
        if summary != (total_files - committed, committed, 0) {
            failures.push(format!(
                "{what} ({state:?}): the re-run loaded, skipped, failed {summary:?} files, expected {:?}",
                (total_files - committed, committed, 0)
            ));
        }
        for problem in violations(ws, c) {
            failures.push(format!("{what} ({state:?}), after the re-run: {problem}"));
        }
        let after = query(ws, c.fingerprint);
        if after == reference {
            exact += 1;
        } else {
            failures.push(format!(
                "{what} ({state:?}): after the re-run the tables are\n  {after:?}\nnot as after a clean load\n  {reference:?}"
            ));
        }
    }
    remove_warehouse(ws);

    eprintln!(
        "crash {}: {KILLS} kills, states: no-warehouse={no_warehouse} nothing={nothing} partial={partial} \
         complete={complete} (partial file counts {partial_counts:?}; {exited_before_kill} exited before \
         the kill; {wal_left} left a WAL; `migrate` needed before a read {migrate_needed}x), re-runs exact: {exact}/{KILLS} \
         (clean load {:.2} s, longest full load {:.2} s, spans {:.2}-{:.2} s, suite {:.1} s)",
        c.dataset,
        clean.as_secs_f64(),
        longest.as_secs_f64(),
        spans.iter().cloned().fold(f64::MAX, f64::min),
        spans.iter().cloned().fold(0.0, f64::max),
        suite_started.elapsed().as_secs_f64()
    );
    for error in &reader_errors {
        eprintln!("crash {}: a read after {error}", c.dataset);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(exact, KILLS);
    // At least one kill interrupted the load (the first delay is within the first tenth of the span):
    // otherwise nothing was tested.
    assert!(
        no_warehouse + nothing + partial > 0,
        "no kill interrupted the load: every kill came after it committed"
    );
}

/// `exercise generate ...` in the workspace.
fn generate(ws: &Workspace, args: &[&str]) {
    let out = ws.exercise().arg("generate").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The files in `dir` (not below it), sorted.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn votes_survive_a_kill_at_any_moment() {
    let ws = Workspace::new();
    // 200,000 generated lines (with ~1% duplicate Ids and ~0.1% bad lines), split into four files so
    // the load has several ledger rows; the generator's Ids start at 1, so one file is split rather than
    // four generated.
    generate(
        &ws,
        &[
            "votes",
            "--rows",
            "200000",
            "--seed",
            "7",
            "--output",
            "gen.jsonl",
        ],
    );
    let text = std::fs::read_to_string(ws.path("gen.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let dir = ws.path("votes");
    std::fs::create_dir_all(&dir).unwrap();
    for (k, chunk) in lines.chunks(lines.len().div_ceil(4)).enumerate() {
        std::fs::write(
            dir.join(format!("votes-{k}.jsonl")),
            chunk.join("\n") + "\n",
        )
        .unwrap();
    }
    std::fs::remove_file(ws.path("gen.jsonl")).unwrap();
    let crash = Crash {
        dataset: "votes",
        inputs: vec![dir.to_string_lossy().into_owned()],
        files: files_in(&dir),
        atomic: true,
        per_file: &[
            ("blog_analysis.votes", "source_file_id", "rows_inserted"),
            (
                "blog_analysis.votes_rejected",
                "source_file_id",
                "rows_rejected",
            ),
        ],
        provenance: &[],
        extra_checks: "",
        fingerprint: "SELECT
            (SELECT count(*) FROM blog_analysis.votes) AS votes,
            (SELECT sum(hash(v.Id, v.PostId, v.VoteTypeId, v.CreationDate, v.UserId, v.BountyAmount, l.path))
             FROM blog_analysis.votes v JOIN meta.file_loads l ON l.file_load_id = v.source_file_id) AS votes_hash,
            (SELECT count(*) FROM blog_analysis.votes_rejected) AS rejected,
            (SELECT sum(hash(source_file, line_number, raw, reason)) FROM blog_analysis.votes_rejected) AS rejected_hash,
            (SELECT count(*) FROM meta.file_loads WHERE status = 'loaded') AS files_loaded,
            (SELECT count(*) FROM meta.file_loads WHERE status <> 'loaded') AS files_not_loaded,
            (SELECT sum(rows_read) || ' ' || sum(rows_inserted) || ' ' || sum(rows_duplicate) || ' ' || sum(rows_rejected)
             FROM meta.file_loads) AS ledger_rows",
        seed: 0x9E37_79B9_7F4A_7C15,
    };
    assert_eq!(crash.files.len(), 4);
    run_crash_suite(&ws, &crash);
}

/// DuckDB's bulk loader commits 2,000 files per transaction: the 300 generated minutes are cut into
/// this many pieces each (6,000 files of ~96 rows), so a load has three full batches and a kill can leave
/// one or two of them committed.
const PIECES_PER_MINUTE: usize = 20;

#[test]
fn sensor_logs_survive_a_kill_at_any_moment() {
    let ws = Workspace::new();
    generate(
        &ws,
        &[
            "sensor-logs",
            "--minutes",
            "300",
            "--seed",
            "11",
            "--output",
            "minutes",
        ],
    );
    let pieces = ws.path("pieces");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!(
        "COPY (SELECT * EXCLUDE (filename, file_row_number),
                      dense_rank() OVER (ORDER BY filename) - 1 AS minute,
                      (row_number() OVER (PARTITION BY filename ORDER BY file_row_number) - 1) % {PIECES_PER_MINUTE} AS piece
               FROM read_parquet('{}/*.parquet', filename = true, file_row_number = true))
         TO '{}' (FORMAT parquet, PARTITION_BY (minute, piece))",
        ws.path("minutes").display(),
        pieces.display()
    ))
    .unwrap();
    drop(conn);
    // minute=M/piece=P/data_0.parquet -> logs/minute-MMMM-piece-PP.parquet
    let dir = ws.path("logs");
    std::fs::create_dir_all(&dir).unwrap();
    for minute_dir in std::fs::read_dir(&pieces).unwrap() {
        let minute_dir = minute_dir.unwrap().path();
        let minute: usize = minute_dir.file_name().unwrap().to_string_lossy()["minute=".len()..]
            .parse()
            .unwrap();
        for piece_dir in std::fs::read_dir(&minute_dir).unwrap() {
            let piece_dir = piece_dir.unwrap().path();
            let piece: usize = piece_dir.file_name().unwrap().to_string_lossy()["piece=".len()..]
                .parse()
                .unwrap();
            let files = files_in(&piece_dir);
            assert_eq!(files.len(), 1, "{}", piece_dir.display());
            std::fs::rename(
                &files[0],
                dir.join(format!("minute-{minute:04}-piece-{piece:02}.parquet")),
            )
            .unwrap();
        }
    }
    std::fs::remove_dir_all(&pieces).unwrap();
    std::fs::remove_dir_all(ws.path("minutes")).unwrap();
    let crash = Crash {
        dataset: "sensor-logs",
        inputs: vec![dir.to_string_lossy().into_owned()],
        files: files_in(&dir),
        atomic: false,
        per_file: &[
            ("dwh.data_sample", "source_file_id", "rows_inserted"),
            (
                "dwh.data_sample_rejected",
                "source_file_id",
                "rows_rejected",
            ),
        ],
        provenance: &[],
        extra_checks: "",
        fingerprint: "SELECT
            (SELECT count(*) FROM dwh.data_sample) AS rows,
            (SELECT sum(hash(d.department_name, d.sensor_serial, d.create_at, d.product_name, d.product_expire, l.path))
             FROM dwh.data_sample d JOIN meta.file_loads l ON l.file_load_id = d.source_file_id) AS rows_hash,
            (SELECT count(*) FROM dwh.data_sample_rejected) AS rejected,
            (SELECT count(*) FROM meta.file_loads WHERE status = 'loaded') AS files_loaded,
            (SELECT count(*) FROM meta.file_loads WHERE status <> 'loaded') AS files_not_loaded,
            (SELECT sum(rows_read) || ' ' || sum(rows_inserted) || ' ' || sum(rows_replaced)
             FROM meta.file_loads) AS ledger_rows,
            (SELECT sum(readings) FROM dwh.daily_summary) AS summary_readings",
        seed: 0xD1B5_4A32_D192_ED03,
    };
    assert_eq!(crash.files.len(), 300 * PIECES_PER_MINUTE);
    run_crash_suite(&ws, &crash);
}

#[test]
fn telemetry_survives_a_kill_at_any_moment() {
    let ws = Workspace::new();
    // ~300,000 readings in one Parquet file per run, with the generator's logger faults (rejects),
    // repeats (duplicates) and spikes.
    generate(
        &ws,
        &[
            "telemetry",
            "--readings",
            "300000",
            "--seed",
            "13",
            "--output",
            "runs",
        ],
    );
    let dir = ws.path("runs");
    let crash = Crash {
        dataset: "telemetry",
        inputs: vec![dir.to_string_lossy().into_owned()],
        files: files_in(&dir),
        atomic: true,
        // readings_raw holds every landed row: rows_read per file. The readings view is raw minus
        // rejected minus duplicates (sql/datasets/telemetry/accounting.sql): rows_inserted.
        per_file: &[
            ("telemetry.readings_raw", "source_file_id", "rows_read"),
            ("telemetry.readings", "source_file_id", "rows_inserted"),
            (
                "telemetry.readings_rejected",
                "source_file_id",
                "rows_rejected",
            ),
            (
                "telemetry.readings_duplicate",
                "source_file_id",
                "rows_duplicate",
            ),
        ],
        provenance: &[
            ("telemetry.readings_duplicate", "kept_file_id"),
            ("telemetry.reading_spikes", "source_file_id"),
        ],
        // What is derived from the readings is there exactly for the runs that have readings.
        extra_checks: "SELECT 'run ' || run_uuid || ' has readings but is not in telemetry.runs'
             FROM (SELECT DISTINCT run_uuid FROM telemetry.readings)
             WHERE run_uuid NOT IN (SELECT run_uuid FROM telemetry.runs WHERE run_uuid IS NOT NULL)
         UNION ALL
         SELECT 'run ' || run_uuid || ' is in telemetry.runs without readings'
             FROM telemetry.runs WHERE run_uuid NOT IN (SELECT run_uuid FROM telemetry.readings WHERE run_uuid IS NOT NULL)
         UNION ALL
         SELECT 'run ' || run_uuid || ' has grid rows but is not in telemetry.runs'
             FROM (SELECT DISTINCT run_uuid FROM telemetry.run_grid)
             WHERE run_uuid NOT IN (SELECT run_uuid FROM telemetry.runs WHERE run_uuid IS NOT NULL)
         UNION ALL
         SELECT 'run ' || run_uuid || ' has run_sensors rows but is not in telemetry.runs'
             FROM (SELECT DISTINCT run_uuid FROM telemetry.run_sensors)
             WHERE run_uuid NOT IN (SELECT run_uuid FROM telemetry.runs WHERE run_uuid IS NOT NULL)
         UNION ALL
         SELECT 'run ' || run_uuid || ' is in telemetry.runs without grid rows'
             FROM telemetry.runs WHERE run_uuid NOT IN (SELECT run_uuid FROM telemetry.run_grid WHERE run_uuid IS NOT NULL)",
        fingerprint: "SELECT
            (SELECT count(*) FROM telemetry.readings_raw) AS raw,
            (SELECT sum(hash(r.row_number, r.time, r.value, r.field, r.robot_id, r.run_uuid, r.sensor_type, r.unparsed, l.path))
             FROM telemetry.readings_raw r JOIN meta.file_loads l ON l.file_load_id = r.source_file_id) AS raw_hash,
            (SELECT count(*) FROM telemetry.readings) AS readings,
            (SELECT count(*) FROM telemetry.readings_rejected) AS rejected,
            (SELECT sum(hash(line_number, run_uuid, raw, reason, source_file)) FROM telemetry.readings_rejected) AS rejected_hash,
            (SELECT count(*) FROM telemetry.readings_duplicate) AS duplicates,
            (SELECT count(*) FROM telemetry.reading_spikes) AS spikes,
            (SELECT count(*) FROM telemetry.run_grid) AS grid,
            (SELECT sum(hash(g)) FROM telemetry.run_grid g) AS grid_hash,
            (SELECT count(*) FROM telemetry.run_sensors) AS run_sensors,
            (SELECT count(*) FROM telemetry.runs) AS runs,
            (SELECT count(*) FROM meta.file_loads WHERE status = 'loaded') AS files_loaded,
            (SELECT count(*) FROM meta.file_loads WHERE status <> 'loaded') AS files_not_loaded,
            (SELECT sum(rows_read) || ' ' || sum(rows_inserted) || ' ' || sum(rows_duplicate) || ' ' || sum(rows_rejected)
             FROM meta.file_loads) AS ledger_rows",
        seed: 0x94D0_49BB_1331_11EB,
    };
    assert!(crash.files.len() > 1, "{:?}", crash.files);
    run_crash_suite(&ws, &crash);
}
