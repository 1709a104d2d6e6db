//! Data tests declared beside the models: `sql/tests/<schema>/<relation>.toml` names the dataset the
//! relation belongs to and lists its tests, generic (unique, not_null, accepted_values, relationships,
//! accepted_range, row_count, freshness, expression_is_true) or singular (a query returning the failing
//! rows). Each test becomes one query whose rows are the failures; its severity and threshold decide
//! pass, warn or fail. Run by `exercise check` and inside every load (`ingest-data`).
mod declare;
pub mod report;

pub use declare::{declared, declared_in, select};

use crate::duck::warehouse::Warehouse;
use crate::duck::{duckdb_reason, quote_ident};
use anyhow::{Context, Result};
use serde::Deserialize;
use std::time::Instant;

#[derive(Deserialize, Clone, Copy, Default, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Error,
    Warn,
}

/// A test ready to run.
#[derive(Debug, Clone)]
pub struct Test {
    /// schema.relation.name
    pub id: String,
    pub name: String,
    pub relation: String,
    pub dataset: String,
    pub kind: &'static str,
    pub severity: Severity,
    max_failing: u64,
    max_failing_percent: Option<f64>,
    /// The query whose rows are the failures.
    failing_rows_sql: String,
    /// For a test that judges each row by itself: the same query over the rows no earlier load judged,
    /// which a load runs instead when the relation records its rows' file (`source_file_id`).
    in_load_sql: Option<String>,
    /// row_count: the bounds, judged in Rust against the count and the previous one.
    row_count: Option<(Option<u64>, Option<u64>, Option<f64>)>,
    /// unique: the key, which a PRIMARY KEY or UNIQUE constraint may already enforce.
    unique_key: Option<Vec<String>>,
    /// Whether `ingest-data` runs it inside its loads.
    pub on_load: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    Warn,
    Fail,
    /// The test could not run (its SQL failed): counts as a failure of its severity.
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Error => "error",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub test: Test,
    pub status: Status,
    pub failing_rows: Option<u64>,
    pub observed: Option<u64>,
    /// Up to three failing rows, as DuckDB prints a struct.
    pub samples: Vec<String>,
    pub message: String,
    pub seconds: f64,
}

impl Outcome {
    /// An error-severity test that did not pass: the run (or the load) fails.
    pub fn is_blocking(&self) -> bool {
        matches!(self.status, Status::Fail | Status::Error) && self.test.severity == Severity::Error
    }
}

/// Runs the tests against the warehouse as it is (inside the caller's transaction, if any).
pub fn run(wh: &Warehouse, tests: &[Test]) -> Vec<Outcome> {
    tests.iter().map(|t| run_one(wh, t, false)).collect()
}

/// Runs the tests inside a load's transaction, stopping at the first one that could not run: DuckDB
/// may have aborted the transaction with it, and the load must then roll back whatever its severity.
/// A test that judges each row by itself judges the rows no earlier load judged (`Test::in_load_sql`):
/// the load's own, and those of loads that ran without their tests. `exercise check` judges them all.
pub fn run_in_load(wh: &Warehouse, tests: &[Test]) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for test in tests {
        let outcome = run_one(wh, test, true);
        let stop = outcome.status == Status::Error;
        outcomes.push(outcome);
        if stop {
            break;
        }
    }
    outcomes
}

fn run_one(wh: &Warehouse, test: &Test, in_load: bool) -> Outcome {
    let started = Instant::now();
    let scoped = in_load
        .then_some(test.in_load_sql.as_deref())
        .flatten()
        .filter(|_| records_its_files(wh, &test.relation));
    let (sql, base) = match scoped {
        Some(sql) => (
            sql,
            declare::rows_not_yet_judged(&qualified(&test.relation)),
        ),
        None => (test.failing_rows_sql.as_str(), qualified(&test.relation)),
    };
    let enforced = match &test.unique_key {
        Some(key) if enforced_by_constraint(wh, &test.relation, key) => {
            Some("the table's key constraint")
        }
        Some(key) if enforced_by_unique_index(wh, &test.relation, key) => {
            Some("a unique index of the table")
        }
        _ => None,
    };
    let measured = match (test.row_count, enforced) {
        (Some(bounds), _) => judge_row_count(wh, test, bounds),
        (None, Some(how)) => Ok(Measured {
            failing: 0,
            observed: None,
            samples: Vec::new(),
            note: format!("; enforced by {how}"),
        }),
        _ => failing_rows(wh, sql).map(|mut m| {
            if scoped.is_some() {
                m.note = "; the rows no earlier load judged".into();
            }
            m
        }),
    };
    let (status, failing, observed, samples, message) = match measured {
        Ok(m) => {
            let allowed = allowed_failures(wh, test, &base).unwrap_or(test.max_failing);
            let failed = m.failing > allowed;
            let status = match (failed, test.severity) {
                (false, _) => Status::Pass,
                (true, Severity::Warn) => Status::Warn,
                (true, Severity::Error) => Status::Fail,
            };
            let message = if failed {
                format!(
                    "{} failing row(s), at most {allowed} allowed{}",
                    m.failing, m.note
                )
            } else {
                m.note.trim_start_matches("; ").to_string()
            };
            (status, Some(m.failing), m.observed, m.samples, message)
        }
        Err(err) => (
            Status::Error,
            None,
            None,
            Vec::new(),
            format!(
                "the test could not run: {}",
                duckdb_reason(&format!("{err:#}"))
            ),
        ),
    };
    Outcome {
        test: test.clone(),
        status,
        failing_rows: failing,
        observed,
        samples,
        message,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Does a PRIMARY KEY or UNIQUE constraint of the table hold exactly this key? Then DuckDB refuses any
/// duplicate on write, and the test need not scan the table.
fn enforced_by_constraint(wh: &Warehouse, relation: &str, key: &[String]) -> bool {
    let Some((schema, table)) = relation.split_once('.') else {
        return false;
    };
    let mut sorted = key.to_vec();
    sorted.sort();
    let Ok(mut stmt) = wh.conn.prepare(
        "SELECT list_sort(constraint_column_names) FROM duckdb_constraints()
         WHERE database_name = current_database() AND schema_name = ? AND table_name = ?
           AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')",
    ) else {
        return false;
    };
    let Ok(rows) = stmt.query_map([schema, table], |r| {
        let list: duckdb::types::Value = r.get(0)?;
        Ok(list)
    }) else {
        return false;
    };
    rows.flatten().any(|list| match list {
        duckdb::types::Value::List(items) => {
            let names: Vec<String> = items
                .into_iter()
                .filter_map(|v| match v {
                    duckdb::types::Value::Text(s) => Some(s),
                    _ => None,
                })
                .collect();
            names == sorted
        }
        _ => false,
    })
}

/// Does a unique index of the table hold exactly these columns (DuckDB refuses a duplicate on write, as
/// for a key)? Only an index on plain column names counts: DuckDB states its columns as `[a, b]` and
/// quotes any other name, which then does not match (the test scans, which is never wrong).
fn enforced_by_unique_index(wh: &Warehouse, relation: &str, key: &[String]) -> bool {
    let Some((schema, table)) = relation.split_once('.') else {
        return false;
    };
    let mut wanted: Vec<String> = key.iter().map(|k| k.to_lowercase()).collect();
    wanted.sort();
    let Ok(mut stmt) = wh.conn.prepare(
        "SELECT expressions FROM duckdb_indexes()
         WHERE database_name = current_database() AND schema_name = ? AND table_name = ? AND is_unique",
    ) else {
        return false;
    };
    let Ok(rows) = stmt.query_map([schema, table], |r| r.get::<_, String>(0)) else {
        return false;
    };
    rows.flatten().any(|expressions| {
        let Some(inner) = expressions
            .strip_prefix('[')
            .and_then(|e| e.strip_suffix(']'))
        else {
            return false;
        };
        let mut columns: Vec<String> = inner.split(", ").map(str::to_lowercase).collect();
        columns.sort();
        let plain = columns
            .iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| ch.is_alphanumeric() || ch == '_'));
        plain && columns == wanted
    })
}

struct Measured {
    failing: u64,
    observed: Option<u64>,
    samples: Vec<String>,
    note: String,
}

/// Is the relation a table that holds each row's file (`source_file_id`), so that a load can judge the
/// rows it has not judged yet? (Not a view: a view's row can depend on other rows.)
fn records_its_files(wh: &Warehouse, relation: &str) -> bool {
    let Some((schema, name)) = relation.split_once('.') else {
        return false;
    };
    wh.conn
        .query_row(
            "SELECT count(*) > 0 FROM information_schema.columns c
             JOIN information_schema.tables t USING (table_catalog, table_schema, table_name)
             WHERE c.table_schema = ? AND c.table_name = ? AND c.column_name = 'source_file_id'
               AND t.table_type = 'BASE TABLE'",
            [schema, name],
            |r| r.get(0),
        )
        .unwrap_or(false)
}

fn first_rows_as_text(wh: &Warehouse, sql: &str) -> Result<Vec<String>> {
    let mut stmt = wh.conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The failing rows of `sql`: their count and the first three in the rows' own order (so a report
/// quotes the same rows every time), as text.
fn failing_rows(wh: &Warehouse, sql: &str) -> Result<Measured> {
    // Counted first, so that DuckDB reads only the columns the test needs (the failing rows' text would
    // read them all); the first three rows are fetched only when some fail, ordered as whole rows (all
    // failing rows are read for that) and turned into text only then. (A column of the test's own named
    // failing_row would be ordered by alone.)
    // DuckDB's own message, not one that quotes the (multi-line) query first.
    let failing: i64 = wh
        .conn
        .query_row(&format!("SELECT count(*) FROM (\n{sql}\n) f"), [], |r| {
            r.get(0)
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let samples = if failing > 0 {
        // Rows of a type DuckDB cannot order (a MAP, say) are quoted in the order they come.
        let ordered = format!(
            "SELECT CAST(failing_row AS VARCHAR) FROM (SELECT failing_row FROM (\n{sql}\n) failing_row
             ORDER BY failing_row LIMIT 3) ORDER BY failing_row"
        );
        first_rows_as_text(wh, &ordered).or_else(|_| {
            first_rows_as_text(
                wh,
                &format!("SELECT CAST(f AS VARCHAR) FROM (\n{sql}\n) f LIMIT 3"),
            )
        })?
    } else {
        Vec::new()
    };
    Ok(Measured {
        failing: failing as u64,
        observed: None,
        samples,
        note: String::new(),
    })
}

fn judge_row_count(
    wh: &Warehouse,
    test: &Test,
    (min, max, ratio): (Option<u64>, Option<u64>, Option<f64>),
) -> Result<Measured> {
    let count: i64 = wh.scalar(&test.failing_rows_sql)?;
    let count = count as u64;
    // The count the last run saw, of a warehouse that was: a rolled-back load's count never was.
    let previous: Option<i64> = wh
        .conn
        .query_row(
            "SELECT observed FROM meta.test_results WHERE test = ? AND observed IS NOT NULL
             AND NOT rolled_back ORDER BY checked_at DESC LIMIT 1",
            [&test.id],
            |r| r.get(0),
        )
        .ok();
    let mut problems = Vec::new();
    if let Some(min) = min.filter(|m| count < *m) {
        problems.push(format!("{count} rows, fewer than {min}"));
    }
    if let Some(max) = max.filter(|m| count > *m) {
        problems.push(format!("{count} rows, more than {max}"));
    }
    if let (Some(ratio), Some(previous)) = (ratio, previous) {
        if (count as f64) < ratio * previous as f64 {
            problems.push(format!(
                "{count} rows, below {ratio} of the {previous} rows seen last time"
            ));
        }
    }
    Ok(Measured {
        failing: u64::from(!problems.is_empty()),
        observed: Some(count),
        samples: problems.clone(),
        note: format!("; {count} rows"),
    })
}

/// The most failing rows the threshold allows: max_failing, or a share of the rows judged (`judged`: the
/// relation, or the rows no earlier load judged).
fn allowed_failures(wh: &Warehouse, test: &Test, judged: &str) -> Option<u64> {
    let percent = test.max_failing_percent?;
    let rows: i64 = wh.scalar(&format!("SELECT count(*) FROM {judged}")).ok()?;
    Some(((rows as f64) * percent / 100.0).floor() as u64)
}

/// Keeps the outcomes in meta.test_results.
pub fn record(
    wh: &Warehouse,
    outcomes: &[Outcome],
    load_run_id: Option<i64>,
    rolled_back: bool,
) -> Result<()> {
    let mut stmt = wh.conn.prepare(
        "INSERT INTO meta.test_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
    )?;
    for o in outcomes {
        stmt.execute(duckdb::params![
            o.test.id,
            o.test.relation,
            o.test.dataset,
            o.test.kind,
            match o.test.severity {
                Severity::Error => "error",
                Severity::Warn => "warn",
            },
            o.status.as_str(),
            o.failing_rows.map(|n| n as i64),
            o.observed.map(|n| n as i64),
            o.message,
            load_run_id,
            rolled_back,
            o.seconds,
        ])
        .context("recording test results in meta.test_results")?;
    }
    Ok(())
}

pub(super) fn qualified(relation: &str) -> String {
    relation
        .split('.')
        .map(quote_ident)
        .collect::<Vec<_>>()
        .join(".")
}
