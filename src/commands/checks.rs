//! The exercise reviewer's checks: `check-ingestion` (which loads, so it writes) and `check-outliers`.
use crate::cli::CheckArgs;
use crate::datasets;
use crate::datatests;
use crate::duck::warehouse::{Access, Warehouse};
use crate::ingest::{self, Report};
use anyhow::{Context, Result};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Prints one acceptance check; returns whether it passed.
fn check(passed: bool, what: &str) -> bool {
    println!("{}  {what}", if passed { "ok  " } else { "FAIL" });
    passed
}

fn timed_ingest(wh: &Warehouse, data: &Path, force: bool) -> Result<(Report, Duration)> {
    let started = Instant::now();
    let report = ingest::ingest(
        wh,
        &datasets::VOTES,
        &ingest::Options {
            paths: vec![data.to_string_lossy().into_owned()],
            force,
            before_commit: None,
        },
    )?;
    Ok((report, started.elapsed()))
}

fn count_lines(path: &Path) -> Result<i64> {
    let mut reader = std::io::BufReader::new(
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
    );
    let mut buf = Vec::new();
    let mut n = 0;
    while std::io::BufRead::read_until(&mut reader, b'\n', &mut buf)? > 0 {
        n += 1;
        buf.clear();
    }
    Ok(n)
}

pub fn check_ingestion(db: &Path, args: &CheckArgs) -> Result<ExitCode> {
    let wh = Warehouse::open(db)?;
    let limit = Duration::from_secs(10);
    let (_, first) = timed_ingest(&wh, &args.data, false)?;
    let mut ok = check(
        first < limit,
        &format!(
            "ingestion finished in {:.2} s (limit 10 s)",
            first.as_secs_f64()
        ),
    );
    ok &= check(
        reviewer_test_passes(&wh, "blog_analysis.votes.reviewer_table_exists")?,
        "table blog_analysis.votes exists",
    );
    let rows: i64 = wh.scalar("SELECT count(*) FROM blog_analysis.votes")?;
    let lines = count_lines(&args.data)?;
    ok &= check(
        rows > 0 && rows <= lines,
        &format!(
            "{rows} rows in blog_analysis.votes, at most the {lines} lines of {}",
            args.data.display()
        ),
    );
    let (again, second) = timed_ingest(&wh, &args.data, true)?;
    let rows_after: i64 = wh.scalar("SELECT count(*) FROM blog_analysis.votes")?;
    ok &= check(
        rows_after == rows && again.total().rows_inserted == 0,
        &format!(
            "a second, forced ingestion added nothing ({rows_after} rows, re-read in {:.2} s)",
            second.as_secs_f64()
        ),
    );
    ok &= check(second < limit, "the second ingestion finished within 10 s");
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Whether the data test of this id passes (the reviewer's checks that are properties of the data are
/// data tests, declared in sql/tests/; timing and re-loading stay here).
fn reviewer_test_passes(wh: &Warehouse, id: &str) -> Result<bool> {
    let tests = datatests::select(datatests::declared()?, None, Some(id));
    let outcome = datatests::run(wh, &tests)
        .into_iter()
        .find(|o| o.test.id == id)
        .with_context(|| format!("no data test {id}"))?;
    Ok(outcome.status == datatests::Status::Pass)
}

/// The reviewer's outlier checks: the data tests `blog_analysis.outlier_weeks.reviewer_*`
/// (sql/tests/blog_analysis/outlier_weeks.toml), printed as the reviewer reads them, and the order of the
/// view's rows (an order is not a property of the data, so not a data test).
pub fn check_outliers(db: &Path) -> Result<ExitCode> {
    let wh = Warehouse::open_reader(db, Access::Read)?;
    let tests = datatests::select(
        datatests::declared()?,
        None,
        Some("blog_analysis.outlier_weeks.reviewer_*"),
    );
    let outcomes = datatests::run(&wh, &tests);
    let outcome = |name: &str| {
        outcomes
            .iter()
            .find(|o| o.test.name == name)
            .with_context(|| format!("no data test blog_analysis.outlier_weeks.{name}"))
    };
    let passed = |o: &datatests::Outcome| o.status == datatests::Status::Pass;
    let exists = outcome("reviewer_view_exists")?;
    let mut ok = check(passed(exists), "view blog_analysis.outlier_weeks exists");
    let columns = outcome("reviewer_columns")?;
    let found = columns
        .samples
        .first()
        .map(|s| {
            s.trim_start_matches("{'found': ")
                .trim_end_matches('}')
                .trim_matches('\'')
                .to_string()
        })
        .unwrap_or_else(|| "Year,WeekNumber,VoteCount".into());
    ok &= check(
        passed(columns),
        &format!("its columns are Year, WeekNumber, VoteCount (found {found})"),
    );
    let rows = outcome("reviewer_has_rows")?;
    ok &= check(
        passed(rows),
        &format!("it has rows ({})", rows.observed.unwrap_or(0)),
    );
    if !passed(exists) {
        return Ok(ExitCode::FAILURE);
    }
    let mut stmt = wh
        .conn
        .prepare("SELECT Year, WeekNumber FROM blog_analysis.outlier_weeks")?;
    let keys = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let unsorted = keys.windows(2).filter(|w| w[0] >= w[1]).count();
    ok &= check(
        unsorted == 0,
        "rows are sorted by year and week, earliest first",
    );
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
