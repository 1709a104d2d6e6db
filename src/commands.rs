//! One function per subcommand: open the warehouse, do the work, print, choose the exit code.
use crate::cli::{
    CheckArgs, Cli, Command, ExportArgs, GenerateWhat, IngestArgs, QueryArgs, TelemetryFormat,
};
use crate::datasets;
use crate::duck::warehouse::{Access, Warehouse};
use crate::duck::{quote_ident, sql_string};
use crate::ingest::{self, Report, Spec};
use crate::output::{self, Format};
use crate::text::{printable, CAP};
use anyhow::{bail, Context, Result};
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

pub fn run(cli: Cli) -> Result<ExitCode> {
    let db = cli.db.as_path();
    match cli.command {
        Command::Migrate => migrate(db),
        Command::IngestData(args) => ingest_data(db, &args),
        Command::Outliers(args) => outliers(db, args.format.into()),
        Command::Query(args) => query(db, &args),
        Command::Status => status(db),
        Command::CheckIngestion(args) => check_ingestion(db, &args),
        Command::CheckOutliers => check_outliers(db),
        Command::FetchData(args) => crate::fetch::fetch(
            args.url.as_deref(),
            &args.dir,
            Duration::from_secs(args.timeout_secs),
        )
        .map(|_| ExitCode::SUCCESS),
        Command::Generate(args) => generate(args.what),
        Command::Export(args) => export(db, &args),
        Command::Stedi(args) => report(db, "reports/stedi_zones.sql", args.format.into()),
        Command::Runs(args) => report(db, "reports/telemetry_runs.sql", args.format.into()),
        Command::Run(args) => {
            let wh = Warehouse::open_reader(db, Access::Read)?;
            let format = args.format.into();
            crate::telemetry::run(&wh, args.run_uuid, format, args.output.as_deref())
                .map(|_| ExitCode::SUCCESS)
        }
        Command::Plot(args) => {
            let wh = Warehouse::open_reader(db, Access::Read)?;
            let size = (args.width, args.height);
            crate::telemetry::plot(&wh, args.run_uuid, &args.output, size)?;
            println!("wrote {}", args.output.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn migrate(db: &Path) -> Result<ExitCode> {
    let wh = Warehouse::open_unmigrated(db)?;
    let applied = wh.migrate()?;
    wh.recreate_views()?;
    if applied.is_empty() {
        println!("{}: schema is up to date", db.display());
    }
    for name in applied {
        println!("applied {name}");
    }
    Ok(ExitCode::SUCCESS)
}

fn ingest_data(db: &Path, args: &IngestArgs) -> Result<ExitCode> {
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
        wh.run(&format!("SET VARIABLE requested_grid_ms = {grid_ms}"))?;
    }
    let report = ingest::ingest(
        &wh,
        spec,
        &ingest::Options {
            paths: args.paths.clone(),
            force: args.force,
        },
    )?;
    print_report(&report, spec, &mut std::io::stdout())?;
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
    writeln!(
        out,
        "{}: {} file(s) loaded, {} unchanged and skipped, {} failed, in {secs:.2} s",
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

fn outliers(db: &Path, format: Format) -> Result<ExitCode> {
    let wh = Warehouse::open(db)?;
    wh.run_file("views/blog_analysis/outlier_weeks.sql")?;
    let result = output::query(&wh.conn, "SELECT * FROM blog_analysis.outlier_weeks")?;
    output::print(&result, format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the result of an embedded report query.
fn report(db: &Path, file: &str, format: Format) -> Result<ExitCode> {
    let wh = Warehouse::open_reader(db, Access::Read)?;
    let result = output::query(&wh.conn, crate::duck::sqlfiles::get(file)?)?;
    output::print(&result, format, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

fn query(db: &Path, args: &QueryArgs) -> Result<ExitCode> {
    let sql = match &args.sql {
        Some(sql) => sql.clone(),
        None => {
            if std::io::stdin().is_terminal() {
                bail!("no SQL given: pass it as an argument or on standard input");
            }
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading SQL from standard input")?;
            text
        }
    };
    // One statement: the result printed is the result of all that ran.
    let statements = crate::duck::statements::count(&sql)?;
    if statements > 1 {
        bail!("{statements} statements given: `exercise query` runs exactly one (run them one by one)");
    }
    let wh = if args.write {
        Warehouse::open(db)?
    } else {
        Warehouse::open_reader(db, Access::Sandboxed)?
    };
    let result = output::query(&wh.conn, sql.trim().trim_end_matches(';')).map_err(|e| {
        if args.write {
            e
        } else {
            explain_sandbox_refusal(e)
        }
    })?;
    output::print(
        &result,
        args.format.format.into(),
        &mut std::io::stdout().lock(),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Adds, to DuckDB's refusal of something the read-only sandbox forbids, how to do it on purpose.
fn explain_sandbox_refusal(err: anyhow::Error) -> anyhow::Error {
    let text = err.to_string();
    let refused = [
        "read-only mode",
        "disabled by configuration",
        "external access is disabled",
        "configuration has been locked",
        "Permission Error",
    ];
    if refused.iter().any(|r| text.contains(r)) {
        anyhow::anyhow!(
            "{}: `exercise query` is read-only and reads only the warehouse; add --write to change it or to read and write other files",
            crate::duck::duckdb_reason(&text)
        )
    } else {
        err
    }
}

fn print_section(wh: &Warehouse, title: &str, sql: &str) -> Result<()> {
    println!("\n== {title}");
    let result = output::query(&wh.conn, sql).with_context(|| format!("status section {title}"))?;
    output::write_table(&result, &mut std::io::stdout().lock())
}

fn table_counts_sql(wh: &Warehouse) -> Result<String> {
    let mut stmt = wh.conn.prepare(
        "SELECT schema_name, table_name FROM duckdb_tables()
         WHERE database_name = current_database() AND NOT temporary ORDER BY 1, 2",
    )?;
    let tables = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let parts: Vec<String> = tables
        .iter()
        .map(|(s, t)| {
            format!("SELECT '{s}.{t}' AS \"table\", count(*) AS \"rows\" FROM \"{s}\".\"{t}\"")
        })
        .collect();
    Ok(parts.join(" UNION ALL ") + " ORDER BY 1")
}

/// One row per dataset of the registry: its files, how repeats are judged, its rejects table and count.
fn datasets_sql() -> String {
    let rows: Vec<String> = datasets::ALL
        .iter()
        .map(|spec| {
            format!(
                "SELECT {} AS dataset, {} AS files, {} AS repeats, {} AS rejects_table, (SELECT count(*) FROM {}) AS rejected",
                sql_string(spec.name),
                sql_string(&spec.extensions.join(" ")),
                sql_string(&spec.dedup.describe()),
                sql_string(spec.rejects_table),
                spec.rejects_table
            )
        })
        .collect();
    rows.join(" UNION ALL ")
}

/// Rejected rows by table and reason (the reason's text up to the first colon), over every dataset's
/// rejects table.
fn rejects_sql() -> String {
    let tables: Vec<String> = datasets::ALL
        .iter()
        .map(|spec| {
            format!(
                "SELECT {} AS rejects_table, reason FROM {}",
                sql_string(spec.rejects_table),
                spec.rejects_table
            )
        })
        .collect();
    format!(
        "SELECT rejects_table, split_part(reason, ':', 1) AS reason, count(*) AS \"rows\"
         FROM ({}) GROUP BY ALL ORDER BY 1, 3 DESC, 2",
        tables.join(" UNION ALL ")
    )
}

fn status(db: &Path) -> Result<ExitCode> {
    let wh = Warehouse::open_reader(db, Access::Read)?;
    println!("warehouse {}", db.display());
    print_section(&wh, "tables", &table_counts_sql(&wh)?)?;
    print_section(&wh, "datasets", &datasets_sql())?;
    print_section(&wh, "rejects", &rejects_sql())?;
    for (path, sql) in crate::duck::sqlfiles::under("status/") {
        let title = path
            .trim_start_matches("status/")
            .trim_end_matches(".sql")
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == '_')
            .replace('_', " ");
        print_section(&wh, &title, sql)?;
    }
    Ok(ExitCode::SUCCESS)
}

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

fn check_ingestion(db: &Path, args: &CheckArgs) -> Result<ExitCode> {
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
    let exists: i64 = wh.scalar(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'blog_analysis' AND table_name = 'votes'",
    )?;
    ok &= check(exists == 1, "table blog_analysis.votes exists");
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

fn check_outliers(db: &Path) -> Result<ExitCode> {
    let wh = Warehouse::open_reader(db, Access::Read)?;
    let exists: i64 = wh.scalar(
        "SELECT count(*) FROM duckdb_views() WHERE schema_name = 'blog_analysis' AND view_name = 'outlier_weeks'",
    )?;
    let mut ok = check(exists == 1, "view blog_analysis.outlier_weeks exists");
    let columns: String = wh.scalar(
        "SELECT string_agg(column_name, ',' ORDER BY column_index) FROM duckdb_columns()
         WHERE schema_name = 'blog_analysis' AND table_name = 'outlier_weeks'",
    )?;
    ok &= check(
        columns == "Year,WeekNumber,VoteCount",
        &format!("its columns are Year, WeekNumber, VoteCount (found {columns})"),
    );
    let rows: i64 = wh.scalar("SELECT count(*) FROM blog_analysis.outlier_weeks")?;
    ok &= check(rows > 0, &format!("it has rows ({rows})"));
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

fn generate(what: GenerateWhat) -> Result<ExitCode> {
    match what {
        GenerateWhat::Votes {
            rows,
            output,
            seed,
            duplicate_rate,
            bad_rate,
        } => {
            let written = crate::generate::votes(&output, rows, seed, duplicate_rate, bad_rate)?;
            println!("wrote {written} lines to {}", output.display());
        }
        GenerateWhat::SensorLogs {
            minutes,
            output,
            seed,
        } => {
            let (files, rows) = crate::generate::sensor_logs(&output, minutes, seed)?;
            println!("wrote {files} files, {rows} rows, to {}", output.display());
        }
        GenerateWhat::Stedi {
            customers,
            accelerometer,
            step_trainer,
            output,
            seed,
        } => {
            let (files, lines) =
                crate::generate::stedi(&output, customers, accelerometer, step_trainer, seed)?;
            println!(
                "wrote {files} files, {lines} lines, to {}",
                output.display()
            );
        }
        GenerateWhat::Telemetry {
            readings,
            output,
            format,
            seed,
        } => {
            let format = match format {
                TelemetryFormat::Parquet => crate::generate::telemetry::FileFormat::Parquet,
                TelemetryFormat::Csv => crate::generate::telemetry::FileFormat::Csv,
            };
            let (files, rows) =
                crate::generate::telemetry::generate(&output, readings, seed, format)?;
            println!(
                "wrote {files} run files, {rows} readings, to {}",
                output.display()
            );
        }
        GenerateWhat::Stocks {
            symbols,
            rows,
            output,
            seed,
        } => {
            let (files, rows) = crate::generate::stocks(&output, symbols, rows, seed)?;
            println!("wrote {files} files, {rows} rows, to {}", output.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `schema.name` (or `name` in main) to a quoted, existing relation, or an error listing what exists.
fn relation(wh: &Warehouse, name: &str) -> Result<String> {
    let (schema, table) = name.split_once('.').unwrap_or(("main", name));
    let found: i64 = wh
        .conn
        .query_row(
            "SELECT count(*) FROM (SELECT schema_name, table_name FROM duckdb_tables()
                                   UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal)
             WHERE schema_name = ? AND table_name = ?",
            [schema, table],
            |r| r.get(0),
        )
        .context("looking up the table")?;
    if found == 0 {
        bail!("no table or view named {name} in the warehouse (see `exercise status`)");
    }
    Ok(format!("{}.{}", quote_ident(schema), quote_ident(table)))
}

fn export(db: &Path, args: &ExportArgs) -> Result<ExitCode> {
    let wh = Warehouse::open_reader(db, Access::Read)?;
    let source = relation(&wh, &args.table)?;
    std::fs::create_dir_all(&args.to)
        .with_context(|| format!("cannot create {}", args.to.display()))?;
    let rows: i64 = wh.scalar(&format!("SELECT count(*) FROM {source}"))?;
    let (target, options) = match &args.partition_by {
        Some(col) => (
            args.to.clone(),
            format!(
                "FORMAT parquet, PARTITION_BY ({}), OVERWRITE_OR_IGNORE",
                quote_ident(col)
            ),
        ),
        None => (
            args.to.join(format!("{}.parquet", args.table)),
            "FORMAT parquet".to_string(),
        ),
    };
    let target_sql = crate::duck::sql_string(&target.to_string_lossy());
    wh.run(&format!(
        "COPY (SELECT * FROM {source}) TO {target_sql} ({options})"
    ))
    .with_context(|| format!("exporting {} to {}", args.table, target.display()))?;
    println!(
        "exported {rows} rows of {} to {}",
        args.table,
        target.display()
    );
    Ok(ExitCode::SUCCESS)
}
