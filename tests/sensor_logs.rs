//! Sensor-log Parquet bulk loads through the real binary.
mod common;
use common::Workspace;
use std::path::{Path, PathBuf};

/// The two real files of the delivery (copied from ../shared/data/datawow, names intact).
const REAL: &str = "test-resources/datawow";

fn real_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(REAL)
}

fn copy_real(ws: &Workspace, dest: &str) -> PathBuf {
    let dir = ws.path(dest);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(real_dir()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    dir
}

/// Writes `logs/2023-01-01 00:00:00.parquet` with the rows of `query` (DuckDB SQL), as a delivered minute.
fn write_minute(ws: &Workspace, query: &str) {
    std::fs::create_dir_all(ws.path("logs")).unwrap();
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!(
        "COPY ({query}) TO '{}' (FORMAT parquet)",
        ws.path("logs/2023-01-01 00:00:00.parquet").display()
    ))
    .unwrap();
}

fn assert_ledger_balances(ws: &Workspace) {
    assert_eq!(
        ws.count("SELECT count(*) FROM meta.file_loads WHERE rows_read <> rows_inserted + rows_duplicate + rows_rejected"),
        0
    );
}

#[test]
fn the_two_real_files_load_with_their_names_and_a_rerun_adds_nothing() {
    let ws = Workspace::new();
    let dir = copy_real(&ws, "logs");
    let load = ws.ingest("sensor-logs", &[dir.to_str().unwrap()]).success();
    assert_eq!(load.rows(), (3828, 3828, 0, 0), "{load}");
    assert_eq!(
        ws.csv("SELECT regexp_extract(l.path, '[^/]*$') AS file, count(*) AS n FROM dwh.data_sample d JOIN meta.file_loads l ON d.source_file_id = l.file_load_id GROUP BY 1 ORDER BY 1"),
        "file,n\n2023-01-01 00:00:00.parquet,1914\n2023-01-01 00:01:00.parquet,1914\n"
    );
    let load = ws.ingest("sensor-logs", &[dir.to_str().unwrap()]).success();
    assert_eq!((load.loaded, load.unchanged), (0, 2), "{load}");
    assert_eq!(ws.count("SELECT count(*) FROM dwh.data_sample"), 3828);
    assert_eq!(ws.count("SELECT count(*) FROM dwh.departments"), 100);
    assert_eq!(
        ws.count("SELECT sum(readings) FROM dwh.daily_summary"),
        3828
    );
    assert_eq!(ws.count("SELECT count(*) FROM dwh.products WHERE min_shelf_life_days < 87 OR max_shelf_life_days > 89"), 0);
    assert_ledger_balances(&ws);
}

#[test]
fn a_new_file_is_picked_up_and_a_changed_file_replaces_its_rows() {
    let ws = Workspace::new();
    let dir = copy_real(&ws, "logs");
    ws.ingest("sensor-logs", &["logs"]).success();
    // a new minute arrives
    ws.generate(&["sensor-logs", "--minutes", "3", "--output", "gen"]);
    std::fs::copy(
        ws.path("gen/2023-01-01 00:02:00.parquet"),
        dir.join("2023-01-01 00:02:00.parquet"),
    )
    .unwrap();
    let load = ws.ingest("sensor-logs", &["logs/*.parquet"]).success();
    assert_eq!((load.loaded, load.unchanged), (1, 2), "{load}");
    assert_eq!(ws.count("SELECT count(*) FROM dwh.data_sample"), 3 * 1914);
    // a re-delivery of the first minute with other content (100 rows) replaces its 1914 rows
    let first = dir.join("2023-01-01 00:00:00.parquet");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!(
        "COPY (SELECT * FROM read_parquet('{}') LIMIT 100) TO '{}/tmp.parquet' (FORMAT parquet)",
        real_dir().join("2023-01-01 00:00:00.parquet").display(),
        ws.dir.path().display()
    ))
    .unwrap();
    std::fs::rename(ws.path("tmp.parquet"), &first).unwrap();
    let load = ws.ingest("sensor-logs", &["logs"]).success();
    assert!(load.stdout.contains("replaced 1914 rows"), "{load}");
    assert_eq!(
        ws.count("SELECT count(*) FROM dwh.data_sample"),
        2 * 1914 + 100
    );
    assert_eq!(
        ws.count("SELECT count(*) FROM meta.file_loads WHERE status = 'superseded'"),
        1
    );
    assert_eq!(ws.count("SELECT rows_replaced FROM meta.file_loads WHERE status = 'loaded' AND path LIKE '%00:00:00.parquet'"), 1914);
    assert_ledger_balances(&ws);
}

#[test]
fn bad_files_are_recorded_as_failed_without_stopping_the_others() {
    let ws = Workspace::new();
    let dir = copy_real(&ws, "logs");
    let good = std::fs::read(dir.join("2023-01-01 00:00:00.parquet")).unwrap();
    std::fs::write(
        dir.join("2023-01-01 00:05:00.parquet"),
        &good[..good.len() / 2],
    )
    .unwrap();
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!(
        "COPY (SELECT 1 AS department, 'x' AS sensor) TO '{}' (FORMAT parquet)",
        dir.join("2023-01-01 00:06:00.parquet").display()
    ))
    .unwrap();
    let load = ws.ingest("sensor-logs", &["logs"]);
    assert_eq!(load.code, Some(1), "{load}");
    let err = &load.stderr;
    assert!(
        err.contains("failed: logs/2023-01-01 00:05:00.parquet"),
        "{err}"
    );
    assert!(
        err.contains("failed: logs/2023-01-01 00:06:00.parquet"),
        "{err}"
    );
    assert_eq!(
        (load.loaded, load.unchanged, load.failed),
        (2, 0, 2),
        "{load}"
    );
    assert_eq!(ws.count("SELECT count(*) FROM dwh.data_sample"), 3828);
    assert_eq!(
        ws.count(
            "SELECT count(*) FROM meta.file_loads WHERE status = 'failed' AND message IS NOT NULL"
        ),
        2
    );
    assert_ledger_balances(&ws);
    // the failed files are tried again on the next run; the loaded ones are not
    let load = ws.ingest("sensor-logs", &["logs"]);
    assert_eq!(
        (load.loaded, load.unchanged, load.failed),
        (0, 2, 2),
        "{load}"
    );
}

#[test]
fn values_too_long_for_their_column_are_rejected_not_truncated() {
    let ws = Workspace::new();
    write_minute(
        &ws,
        "SELECT * FROM (VALUES
            ('dept', 'serial-1', TIMESTAMP '2023-01-01 00:00:00', 'product', TIMESTAMP '2023-03-30'),
            (repeat('d', 33), 'serial-2', TIMESTAMP '2023-01-01 00:00:00', 'product', TIMESTAMP '2023-03-30'),
            ('dept', 'serial-3', TIMESTAMP '2023-01-01 00:00:00', repeat('p', 17), TIMESTAMP '2023-03-30'),
            ('dept', 'serial-4', NULL, 'product', TIMESTAMP '2023-03-30'))
            t(department_name, sensor_serial, create_at, product_name, product_expire)",
    );
    let load = ws.ingest("sensor-logs", &["logs"]);
    assert_eq!(load.code, Some(1), "{load}");
    assert_eq!(load.rows(), (4, 1, 0, 3), "{load}");
    assert_eq!(
        ws.csv("SELECT line_number, reason FROM dwh.data_sample_rejected ORDER BY line_number"),
        "line_number,reason\n2,department_name is longer than 32 characters\n3,product_name is longer than 16 characters\n4,create_at is missing\n"
    );
    assert_ledger_balances(&ws);
    // read again, the file replaces its rows and its rejects: each bad row is kept once
    let again = ws.ingest("sensor-logs", &["logs", "--force", "--max-rejects", "3"]);
    assert_eq!(again.rows(), (4, 1, 0, 3), "{again}");
    assert_eq!(
        ws.csv("SELECT count(*) AS rejects, count(DISTINCT source_file_id) AS loads FROM dwh.data_sample_rejected"),
        "rejects,loads\n3,1\n"
    );
    assert_eq!(ws.count("SELECT count(*) FROM dwh.data_sample"), 1);
    assert_ledger_balances(&ws);
}

#[test]
fn the_same_content_under_another_name_is_skipped() {
    let ws = Workspace::new();
    copy_real(&ws, "logs");
    ws.ingest("sensor-logs", &["logs"]);
    std::fs::create_dir_all(ws.path("again")).unwrap();
    std::fs::copy(
        real_dir().join("2023-01-01 00:00:00.parquet"),
        ws.path("again/copy.parquet"),
    )
    .unwrap();
    let load = ws.ingest("sensor-logs", &["again"]).success();
    assert!(load.stdout.contains("(loaded before)"), "{load}");
    assert_eq!(ws.count("SELECT count(*) FROM dwh.data_sample"), 3828);
}

#[test]
fn generated_delivery_matches_the_real_shape() {
    let ws = Workspace::new();
    ws.generate(&["sensor-logs", "--minutes", "5", "--output", "gen"]);
    ws.ingest("sensor-logs", &["gen"]).success();
    assert_eq!(ws.count("SELECT count(*) FROM dwh.data_sample"), 5 * 1914);
    assert_eq!(ws.count("SELECT count(*) FROM dwh.departments"), 100);
    assert_eq!(
        ws.count("SELECT count(*) FROM dwh.departments WHERE sensors > 29"),
        0
    );
    assert_eq!(
        ws.count("SELECT count(DISTINCT create_at) FROM dwh.data_sample"),
        5
    );
    assert_eq!(ws.count("SELECT count(*) FROM dwh.products WHERE min_shelf_life_days < 87 OR max_shelf_life_days > 89"), 0);
    // sensors are drawn with replacement: (sensor, minute) repeats, and every row is kept
    assert!(
        ws.count(
            "SELECT count(*) - count(DISTINCT (sensor_serial, create_at)) FROM dwh.data_sample"
        ) > 0
    );
}

#[test]
fn a_product_expiring_outside_87_to_89_calendar_days_fails_its_data_test() {
    let ws = Workspace::new();
    // Calendar days, not 24-hour spans: 23:59 to 00:01 89 days on is 89 days (passes), 00:00 to 23:59
    // 89 days on too; 90 and 86 calendar days fail.
    write_minute(
        &ws,
        "SELECT * FROM (VALUES
            ('dept', 'serial-1', TIMESTAMP '2023-01-01 23:59:00', 'product', TIMESTAMP '2023-03-31 00:01:00'),
            ('dept', 'serial-1', TIMESTAMP '2023-01-01 00:00:00', 'product', TIMESTAMP '2023-03-31 23:59:00'),
            ('dept', 'serial-1', TIMESTAMP '2023-01-01 00:00:00', 'product', TIMESTAMP '2023-03-29 00:00:00'),
            ('dept', 'serial-1', TIMESTAMP '2023-01-01 23:59:00', 'product', TIMESTAMP '2023-04-01 00:00:00'),
            ('dept', 'serial-1', TIMESTAMP '2023-01-01 00:01:00', 'product', TIMESTAMP '2023-03-28 23:59:00'))
            t(department_name, sensor_serial, create_at, product_name, product_expire)",
    );
    let load = ws.ingest("sensor-logs", &["logs"]);
    assert_eq!(load.rows(), (5, 5, 0, 0), "{load}");
    let line = load
        .stdout
        .lines()
        .chain(load.stderr.lines())
        .find(|l| l.contains("product_expire_87_to_89_days_after_create_at"))
        .unwrap_or_else(|| panic!("no line for the test: {load}"))
        .to_string();
    assert!(line.starts_with("FAIL"), "{line}");
    assert!(line.contains(" 2 failing"), "{line}");
    // Sensor logs commit batch by batch: the failure is reported (exit 1), the rows stay.
    assert_eq!(load.code, Some(1), "{load}");
    assert!(load.stderr.contains("the rows stay loaded"), "{load}");
    assert_eq!(ws.count("SELECT count(*) FROM dwh.data_sample"), 5);
}

#[test]
fn a_time_outside_the_plausible_years_is_rejected_not_stored() {
    let ws = Workspace::new();
    write_minute(
        &ws,
        "SELECT * FROM (VALUES
            ('dept', 'serial-1', TIMESTAMP '1900-01-01 00:00:00', 'product', TIMESTAMP '1900-03-30 00:00:00'),
            ('dept', 'serial-2', TIMESTAMP '0001-01-01 00:00:00', 'product', TIMESTAMP '2023-03-30'),
            ('dept', 'serial-3', TIMESTAMP 'infinity', 'product', TIMESTAMP '2023-03-30'),
            ('dept', 'serial-4', TIMESTAMP '2023-01-01 00:00:00', 'product', TIMESTAMP '2200-01-01 00:00:00'),
            ('dept', 'serial-5', TIMESTAMP '1899-12-31 23:59:59.999999', 'product', TIMESTAMP '2023-03-30'),
            ('dept', 'serial-6', TIMESTAMP '2023-01-01 00:00:00', 'product', TIMESTAMP '-infinity'))
            t(department_name, sensor_serial, create_at, product_name, product_expire)",
    );
    let load = ws
        .ingest("sensor-logs", &["logs", "--max-rejects", "5"])
        .success();
    assert_eq!(load.rows(), (6, 1, 0, 5), "{load}");
    assert_eq!(
        ws.csv("SELECT line_number, reason FROM dwh.data_sample_rejected ORDER BY line_number"),
        "line_number,reason\n\
         2,create_at is outside the years 1900-2199: 0001-01-01 00:00:00\n\
         3,create_at is outside the years 1900-2199: infinity\n\
         4,product_expire is outside the years 1900-2199: 2200-01-01 00:00:00\n\
         5,create_at is outside the years 1900-2199: 1899-12-31 23:59:59.999999\n\
         6,product_expire is outside the years 1900-2199: -infinity\n"
    );
    assert_eq!(
        ws.csv("SELECT sensor_serial FROM dwh.data_sample"),
        "sensor_serial\nserial-1\n"
    );
    assert_ledger_balances(&ws);
}

#[test]
fn a_gap_in_the_minutes_is_one_warning_row_however_long() {
    let ws = Workspace::new();
    // Minutes 00:00, 00:01, 00:04 and 00:07 of 2023-01-01, and one reading from 1950: three gaps, the
    // first of 38 million minutes (not generated one by one), then 00:02-00:03 and 00:05-00:06.
    write_minute(
        &ws,
        "SELECT 'dept' AS department_name, 'serial-1' AS sensor_serial, create_at,
                      'product' AS product_name, create_at + INTERVAL 88 DAY AS product_expire
               FROM (VALUES (TIMESTAMP '1950-01-01 00:00:00'), (TIMESTAMP '2023-01-01 00:00:10'),
                            (TIMESTAMP '2023-01-01 00:01:20'), (TIMESTAMP '2023-01-01 00:04:30'),
                            (TIMESTAMP '2023-01-01 00:07:59')) t(create_at)",
    );
    let load = ws.ingest("sensor-logs", &["logs"]).success();
    let out = format!("{}{}", load.stdout, load.stderr);
    let line = out
        .lines()
        .find(|l| l.contains("no_missing_minute"))
        .unwrap_or_else(|| panic!("no line for the test: {load}"));
    assert!(line.starts_with("WARN"), "{line}");
    assert!(line.contains(" 3 failing"), "{line}");
    assert!(
        // 26,663 days (73 years, 18 of them leap) of 1,440 minutes, less the one seen
        out.contains("'first_missing_minute': '1950-01-01 00:01:00', 'last_missing_minute': '2022-12-31 23:59:00', 'missing_minutes': 38394719}"),
        "{out}"
    );
    assert!(
        out.contains("'first_missing_minute': '2023-01-01 00:02:00', 'last_missing_minute': '2023-01-01 00:03:00', 'missing_minutes': 2}"),
        "{out}"
    );
}

#[test]
fn times_sent_as_text_are_stored_as_sent_or_rejected_row_by_row() {
    let ws = Workspace::new();
    write_minute(
        &ws,
        "SELECT * FROM (VALUES
            ('dept', 'serial-1', '2023-01-01 00:00:00', 'product', '2023-03-30 00:00:00'),
            ('dept', 'serial-2', '0001-01-01 00:00:00', 'product', '2023-03-30 00:00:00'),
            ('dept', 'serial-3', '2023-01-01 05:00:00+05', 'product', '2023-03-30 00:00:00Z'),
            ('dept', 'serial-4', '2023-01-01 00:00:00 EST', 'product', '2023-03-30 00:00:00'),
            ('dept', 'serial-5', 'epoch', 'product', '2023-03-30 00:00:00'),
            ('dept', 'serial-6', '2023-01-01 00:00:00', 'product', '2023-03-30 00:00:00.1234567'),
            ('dept', 'serial-7', '2023-01-01 00:00:00', 'product', 'not a time'))
            t(department_name, sensor_serial, create_at, product_name, product_expire)",
    );
    let load = ws
        .ingest("sensor-logs", &["logs", "--max-rejects", "5"])
        .success();
    assert_eq!(load.rows(), (7, 2, 0, 5), "{load}");
    // an offset is converted to UTC; a zone name, a word, a cut fraction or bad text is no timestamp
    assert_eq!(
        ws.csv("SELECT sensor_serial, create_at, product_expire FROM dwh.data_sample ORDER BY 1"),
        "sensor_serial,create_at,product_expire\n\
         serial-1,2023-01-01T00:00:00,2023-03-30T00:00:00\n\
         serial-3,2023-01-01T00:00:00,2023-03-30T00:00:00\n"
    );
    assert_eq!(
        ws.csv("SELECT line_number, reason FROM dwh.data_sample_rejected ORDER BY line_number"),
        "line_number,reason\n\
         2,create_at is outside the years 1900-2199: 0001-01-01 00:00:00\n\
         4,create_at is not a timestamp: 2023-01-01 00:00:00 EST\n\
         5,create_at is not a timestamp: epoch\n\
         6,product_expire is finer than a microsecond: 2023-03-30 00:00:00.1234567\n\
         7,product_expire is not a timestamp: not a time\n"
    );
    assert_ledger_balances(&ws);
}

#[test]
fn nanoseconds_are_stored_only_when_they_are_whole_microseconds() {
    let ws = Workspace::new();
    write_minute(
        &ws,
        "SELECT * FROM (VALUES
            ('dept', 'serial-1', TIMESTAMP_NS '2023-01-01 00:00:00.123456000', 'product', TIMESTAMP_NS '2023-03-30 00:00:00'),
            ('dept', 'serial-2', TIMESTAMP_NS '2023-01-01 00:00:00.123456789', 'product', TIMESTAMP_NS '2023-03-30 00:00:00'))
            t(department_name, sensor_serial, create_at, product_name, product_expire)",
    );
    let load = ws
        .ingest("sensor-logs", &["logs", "--max-rejects", "1"])
        .success();
    assert_eq!(load.rows(), (2, 1, 0, 1), "{load}");
    assert_eq!(
        ws.csv("SELECT sensor_serial, create_at FROM dwh.data_sample"),
        "sensor_serial,create_at\nserial-1,2023-01-01T00:00:00.123456\n"
    );
    assert_eq!(
        ws.csv("SELECT line_number, reason FROM dwh.data_sample_rejected"),
        "line_number,reason\n2,create_at is finer than a microsecond: 2023-01-01 00:00:00.123456789\n"
    );
}

/// DuckDB reads the files of one statement with the first file's column types, converting the others'
/// values with its lenient casts; files of other types go in a statement of their own, so each file's
/// times are judged as that file sent them.
#[test]
fn files_whose_times_have_other_types_are_each_judged_as_sent() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.path("logs")).unwrap();
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let minute = |name: &str, create_at: &str| {
        conn.execute_batch(&format!(
            "COPY (SELECT 'dept' AS department_name, 'serial-' || i AS sensor_serial, {create_at} AS create_at,
                          'product' AS product_name, TIMESTAMP '2023-03-30 00:00:00' AS product_expire
                   FROM range(2) r(i)) TO '{}' (FORMAT parquet)",
            ws.path(&format!("logs/{name}.parquet")).display()
        ))
        .unwrap();
    };
    minute(
        "2023-01-01 00:00:00",
        "TIMESTAMP '2023-01-01 00:00:00' + INTERVAL (i) SECOND",
    );
    minute(
        "2023-01-01 00:01:00",
        "CASE i WHEN 0 THEN '2023-01-01 05:01:00+05' ELSE 'epoch' END",
    );
    minute(
        "2023-01-01 00:02:00",
        "CASE i WHEN 0 THEN TIMESTAMP_NS '2023-01-01 00:02:00.123456789'
                ELSE TIMESTAMP_NS '2023-01-01 00:02:01.123456789' END",
    );
    let load = ws
        .ingest("sensor-logs", &["logs", "--max-rejects", "5"])
        .success();
    assert_eq!(load.rows(), (6, 3, 0, 3), "{load}");
    assert_eq!(
        ws.csv("SELECT create_at FROM dwh.data_sample ORDER BY 1"),
        "create_at\n2023-01-01T00:00:00\n2023-01-01T00:00:01\n2023-01-01T00:01:00\n"
    );
    assert_eq!(
        ws.csv(
            "SELECT regexp_extract(source_file, '[^/]*$') AS file, line_number, reason
             FROM dwh.data_sample_rejected ORDER BY 1, 2"
        ),
        "file,line_number,reason\n\
         2023-01-01 00:01:00.parquet,2,create_at is not a timestamp: epoch\n\
         2023-01-01 00:02:00.parquet,1,create_at is finer than a microsecond: 2023-01-01 00:02:00.123456789\n\
         2023-01-01 00:02:00.parquet,2,create_at is finer than a microsecond: 2023-01-01 00:02:01.123456789\n"
    );
    assert_ledger_balances(&ws);
}
