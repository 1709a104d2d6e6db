//! `ingest-data`: choose the dataset, load, print the accounting, choose the exit code.
use crate::cli::IngestArgs;
use crate::datasets;
use crate::datatests;
use crate::duck::warehouse::Warehouse;
use crate::ingest::{self, Report, Spec};
use crate::text::{printable, CAP};
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub fn ingest_data(db: &Path, args: &IngestArgs) -> Result<ExitCode> {
    let wh = Warehouse::open(db)?;
    let spec = match &args.dataset {
        Some(name) => {
            datasets::by_name(name).with_context(|| format!("no dataset {name} (see --help)"))?
        }
        None => recognise(&wh, &args.paths),
    };
    if let Some(grid_ms) = args.grid_ms {
        if !std::ptr::eq(spec, &datasets::TELEMETRY) {
            bail!("--grid-ms is for --dataset telemetry only");
        }
        if grid_ms == 0 {
            bail!("--grid-ms must be at least 1");
        }
        wh.execute(&format!("SET VARIABLE requested_grid_ms = {grid_ms}"))?;
    }
    let tests = if args.no_check {
        Vec::new()
    } else {
        datatests::select(datatests::declared()?, Some(spec.name), None)
            .into_iter()
            .filter(|t| t.on_load)
            .collect()
    };
    let outcomes = std::sync::Mutex::new(Vec::new());
    let run_tests = |wh: &Warehouse| -> Result<Option<String>> {
        let results = datatests::run_in_load(wh, &tests);
        let blocking: Vec<String> = results
            .iter()
            .filter(|o| o.is_blocking() || o.status == datatests::Status::Error)
            .map(|o| o.test.id.clone())
            .collect();
        if let Ok(mut kept) = outcomes.lock() {
            *kept = results;
        }
        Ok((!blocking.is_empty()).then(|| format!("data test(s) failed: {}", blocking.join(", "))))
    };
    let report = ingest::ingest(
        &wh,
        spec,
        &ingest::Options {
            paths: args.paths.clone(),
            force: args.force,
            before_commit: (!tests.is_empty()).then_some(&run_tests as &ingest::BeforeCommit),
        },
    )?;
    print_report(&report, spec, &mut std::io::stdout())?;
    let outcomes = outcomes.into_inner().unwrap_or_default();
    if !outcomes.is_empty() {
        let rolled_back = report.refused.as_ref().is_some_and(|(_, r)| *r);
        datatests::record(&wh, &outcomes, report.run_id, rolled_back)?;
        let mut out = std::io::stdout();
        let shown: Vec<_> = outcomes
            .iter()
            .filter(|o| o.status != datatests::Status::Pass)
            .cloned()
            .collect();
        datatests::report::lines(&shown, &mut out)?;
        writeln!(out, "data tests: {}", datatests::report::summary(&outcomes))?;
    }
    if let Some((why, rolled_back)) = &report.refused {
        if *rolled_back {
            eprintln!("error: {why}: the load was rolled back (the warehouse is as it was; the files are recorded as failed in meta.file_loads; --no-check loads anyway)");
        } else {
            eprintln!("error: {why} (sensor logs commit batch by batch: the rows stay loaded)");
        }
        return Ok(ExitCode::FAILURE);
    }
    if !report.failed.is_empty() {
        eprintln!(
            "error: {} file(s) failed to load and are recorded as failed in meta.file_loads",
            report.failed.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    if report.rejects_total > args.max_rejects as i64 {
        eprintln!(
            "error: {} row(s) rejected and kept in {} (more than --max-rejects {})",
            report.rejects_total, spec.rejects_table, args.max_rejects
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Without --dataset: telemetry when the first Parquet or CSV file found has the telemetry columns,
/// otherwise votes (whose own checks then say what is wrong with the paths).
fn recognise(wh: &Warehouse, paths: &[String]) -> &'static Spec {
    let first = ingest::discover::find_files(paths, datasets::TELEMETRY.extensions)
        .ok()
        .and_then(|found| found.files.into_iter().next());
    let is_telemetry = first.is_some_and(|f| {
        ingest::missing_columns(wh, datasets::TELEMETRY.sql_dir, &f.to_string_lossy())
            .is_ok_and(|missing| missing.is_empty())
    });
    if is_telemetry {
        &datasets::TELEMETRY
    } else {
        &datasets::VOTES
    }
}

/// Shows a path relative to the working directory when it is below it, safe to print (a file name is
/// data: its control characters are escaped).
fn display_path(path: &str) -> String {
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            Path::new(path)
                .strip_prefix(cwd)
                .ok()
                .map(|p| p.display().to_string())
        })
        .unwrap_or_else(|| path.to_string());
    printable(&shown, 4 * CAP)
}

pub fn print_report(report: &Report, spec: &Spec, out: &mut dyn Write) -> Result<()> {
    let secs = report.elapsed.as_secs_f64();
    // every file found is counted once: loaded, unchanged, a copy of another (listed below) or failed
    let copies = match report.duplicate_files.len() {
        0 => String::new(),
        n => format!(", {n} copy(ies) of another file skipped"),
    };
    writeln!(
        out,
        "{}: {} file(s) loaded, {} unchanged and skipped{copies}, {} failed, in {secs:.2} s",
        spec.name,
        report.loaded.len(),
        report.unchanged.len(),
        report.failed.len()
    )?;
    if !report.loaded.is_empty() {
        let total = report.total();
        // Thousands of files make a long table: then only the total is printed (the ledger has the rest).
        let mut rows: Vec<_> = if report.loaded.len() <= 50 {
            report.loaded.iter().collect()
        } else {
            Vec::new()
        };
        rows.push(&total);
        let width = rows
            .iter()
            .map(|o| display_path(&o.path).len())
            .max()
            .unwrap_or(4)
            .max(4);
        writeln!(
            out,
            "{:<width$}  {:>10}  {:>10}  {:>10}  {:>10}",
            "file", "read", "inserted", "duplicates", "rejected"
        )?;
        for o in rows {
            writeln!(
                out,
                "{:<width$}  {:>10}  {:>10}  {:>10}  {:>10}",
                display_path(&o.path),
                o.rows_read,
                o.rows_inserted,
                o.rows_duplicate,
                o.rows_rejected
            )?;
        }
        writeln!(
            out,
            "read {} = inserted {} + duplicates {} + rejected {}",
            total.rows_read, total.rows_inserted, total.rows_duplicate, total.rows_rejected
        )?;
        if total.rows_replaced > 0 {
            writeln!(
                out,
                "replaced {} rows of earlier versions of changed files",
                total.rows_replaced
            )?;
        }
    }
    for o in report.loaded.iter().filter(|o| o.message.is_some()) {
        writeln!(
            out,
            "note: {}: {}",
            display_path(&o.path),
            printable(o.message.as_deref().unwrap_or(""), CAP)
        )?;
    }
    for note in &report.notes {
        writeln!(out, "{}", printable(note, 4 * CAP))?;
    }
    for copy in &report.duplicate_files {
        writeln!(
            out,
            "skipped: {}: same content as {} {}",
            display_path(&copy.path.to_string_lossy()),
            display_path(&copy.kept),
            if copy.in_this_run {
                "(loaded in this run)"
            } else {
                "(loaded before)"
            }
        )?;
    }
    for (path, why) in &report.failed {
        eprintln!("failed: {}: {}", display_path(path), printable(why, CAP));
    }
    for r in &report.reject_samples {
        eprintln!(
            "rejected: {}:{}: {}",
            display_path(&r.file),
            r.line,
            printable(&r.reason, CAP)
        );
    }
    let shown = report.reject_samples.len() as i64;
    if report.rejects_total > shown {
        eprintln!(
            "rejected: ... and {} more, see {}",
            report.rejects_total - shown,
            spec.rejects_table
        );
    }
    Ok(())
}
