//! Robot telemetry through the real binary: a hand-computed run, an analytic trajectory, generated runs
//! with every logger fault, incremental re-derivation, and the runs/run/plot commands.
mod common;
use common::{stderr, stdout, Workspace};
use predicates::str::contains;

const HEADER: &str = "time,value,field,robot_id,run_uuid,sensor_type";
/// Above 2^63: must survive as an unsigned 64-bit integer.
const RUN: &str = "12405186538561671999";

fn row(ms: u64, value: f64, field: &str, robot: u8, run: &str) -> String {
    let sensor = if field.starts_with('f') {
        "load_cell"
    } else {
        "encoder"
    };
    format!(
        "2022-11-23T20:40:{:02}.{:03}Z,{value},{field},{robot},{run},{sensor}",
        ms / 1000,
        ms % 1000
    )
}

/// One CSV column of the run's features, parsed ("" for NULL).
fn column(ws: &Workspace, sql: &str) -> Vec<Option<f64>> {
    ws.csv(sql)
        .lines()
        .skip(1)
        .map(|v| {
            if v.is_empty() {
                None
            } else {
                Some(v.parse().expect("number"))
            }
        })
        .collect()
}

fn assert_close(actual: &[Option<f64>], expected: &[f64], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: {actual:?}");
    for (a, e) in actual.iter().zip(expected) {
        let a = a.unwrap_or_else(|| panic!("{what}: NULL where {e} expected"));
        assert!((a - e).abs() < 1e-9, "{what}: {actual:?} != {expected:?}");
    }
}

/// Robot 1 moves along x: 0, 1, 3, (no sample at 30 ms), 7 mm at 0..40 ms. Robot 2 steps y 0, 0, 2, 2, 2.
/// Load cells: robot 1 reports twice in the first bucket (fx 2 and 4, averaged to 3) and (3, 4, 0)
/// after; robot 2 reports (0, 0, -12) throughout.
fn hand_built_run(ws: &Workspace) {
    let mut lines = vec![HEADER.to_string()];
    for (ms, x) in [(0, 0.0), (10, 1.0), (20, 3.0), (40, 7.0)] {
        lines.push(row(ms, x, "x", 1, RUN));
        lines.push(row(ms, 0.0, "y", 1, RUN));
        lines.push(row(ms, 0.0, "z", 1, RUN));
    }
    for (ms, y) in [(0, 0.0), (10, 0.0), (20, 2.0), (30, 2.0), (40, 2.0)] {
        lines.push(row(ms, 10.0, "x", 2, RUN));
        lines.push(row(ms, y, "y", 2, RUN));
        lines.push(row(ms, 0.0, "z", 2, RUN));
    }
    lines.push(row(0, 2.0, "fx", 1, RUN));
    lines.push(row(5, 4.0, "fx", 1, RUN));
    for ms in [0, 5, 10, 20, 30, 40] {
        if ms > 0 && ms != 5 {
            lines.push(row(ms, 3.0, "fx", 1, RUN));
        }
        lines.push(row(ms, 4.0, "fy", 1, RUN));
        lines.push(row(ms, 0.0, "fz", 1, RUN));
    }
    for ms in [0, 10, 20, 30, 40] {
        lines.push(row(ms, 0.0, "fx", 2, RUN));
        lines.push(row(ms, 0.0, "fy", 2, RUN));
        lines.push(row(ms, -12.0, "fz", 2, RUN));
    }
    ws.write("runs/hand.csv", &(lines.join("\n") + "\n"));
}

#[test]
fn a_hand_built_run_matches_the_hand_computation() {
    let ws = Workspace::new();
    hand_built_run(&ws);
    let load = ws
        .ingest("telemetry", &["--max-rejects", "1000000", "runs/hand.csv"])
        .success();
    assert!(
        load.stdout
            .contains("derived 1 of 1 run(s) on the 10 ms grid"),
        "{load}"
    );
    let gap_20 = (49.0f64 + 4.0).sqrt();
    let expected: [(&str, [f64; 5]); 13] = [
        // Positions: the 30 ms bucket carries robot 1's x forward.
        ("x_1", [0.0, 1.0, 3.0, 3.0, 7.0]),
        ("y_2", [0.0, 0.0, 2.0, 2.0, 2.0]),
        // Velocity: the change over the real time between samples (7 - 3 over the 20 ms from 20 to
        // 40 ms); the first grid point takes the first known velocity.
        ("vx_1", [100.0, 100.0, 200.0, 200.0, 200.0]),
        ("vy_2", [0.0, 0.0, 200.0, 0.0, 0.0]),
        // Acceleration: (200 - 100) / 0.01 at 20 ms, carried at 30 ms, (200 - 200) / 0.02 at 40 ms.
        ("ax_1", [10_000.0, 10_000.0, 10_000.0, 10_000.0, 0.0]),
        ("ay_2", [20_000.0, 20_000.0, 20_000.0, -20_000.0, 0.0]),
        ("v1", [100.0, 100.0, 200.0, 200.0, 200.0]),
        ("a2", [20_000.0, 20_000.0, 20_000.0, 20_000.0, 0.0]),
        // Forces: the two robot-1 samples of the first bucket are averaged; norms 5 and 12 N.
        ("fx_1", [3.0; 5]),
        ("f1", [5.0; 5]),
        ("f2", [12.0; 5]),
        // Distance since the previous grid point, and the tools' distance (robot 2 sits at x = 10).
        ("d1", [0.0, 1.0, 2.0, 0.0, 4.0]),
        (
            "tool_gap",
            [10.0, 9.0, gap_20, gap_20, (9.0f64 + 4.0).sqrt()],
        ),
    ];
    for (col, want) in expected {
        let sql = format!(
            "SELECT {col} FROM telemetry.run_features WHERE run_uuid = {RUN} ORDER BY time"
        );
        assert_close(&column(&ws, &sql), &want, col);
    }
    assert_eq!(
        ws.csv(&format!(
            "SELECT encoder_1_filled FROM telemetry.run_features WHERE run_uuid = {RUN} ORDER BY time"
        )),
        "encoder_1_filled\nfalse\nfalse\nfalse\ntrue\nfalse\n"
    );
    let statistics = [
        ("runtime_s", 0.04),
        ("distance_1_mm", 7.0),
        ("distance_2_mm", 2.0),
        ("mean_speed_1", 160.0),
        ("max_speed_1", 200.0),
        ("max_force_2", 12.0),
        ("coverage_encoder_1", 0.8),
        ("filled_grid_points", 1.0),
    ];
    for (col, want) in statistics {
        let sql = format!("SELECT {col} FROM telemetry.run_statistics WHERE run_uuid = {RUN}");
        assert_close(&column(&ws, &sql), &[want], col);
    }
    assert_eq!(
        ws.csv(&format!(
            "SELECT start_time, stop_time, grid_points, samples_load_cell_1, missing_sensors
             FROM telemetry.run_statistics WHERE run_uuid = {RUN}"
        )),
        "start_time,stop_time,grid_points,samples_load_cell_1,missing_sensors\n\
         2022-11-23T20:40:00,2022-11-23T20:40:00.040,5,6,\n"
    );
}

#[test]
fn readings_wide_has_the_columns_in_the_exercise_order() {
    let ws = Workspace::new();
    hand_built_run(&ws);
    ws.ingest("telemetry", &["--max-rejects", "1000000", "runs/hand.csv"])
        .success();
    let csv = ws.csv(&format!(
        "SELECT * EXCLUDE (run_uuid) FROM telemetry.readings_wide WHERE run_uuid = {RUN} ORDER BY time LIMIT 2"
    ));
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("time,fx_1,fx_2,fy_1,fy_2,fz_1,fz_2,x_1,x_2,y_1,y_2,z_1,z_2")
    );
    assert_eq!(
        lines.next(),
        Some("2022-11-23T20:40:00,2.0,0.0,4.0,0.0,0.0,-12.0,0.0,10.0,0.0,0.0,0.0,0.0")
    );
    // At 5 ms only robot 1's load cell reported: every other column is NULL.
    assert_eq!(
        lines.next(),
        Some("2022-11-23T20:40:00.005,4.0,,4.0,,0.0,,,,,,,")
    );
}

/// A circle of radius 100 mm at 50 mm/s for 20 s, sampled every 11-13 ms with readings rounded like the
/// logger's (4 decimals); the load cell every 10 ms.
#[test]
fn an_analytic_trajectory_gives_its_speed_and_path_length_within_one_percent() {
    let ws = Workspace::new();
    let (radius, speed) = (100.0f64, 50.0f64);
    let mut lines = vec![HEADER.to_string()];
    let mut ms = 3u64;
    let mut step = 0;
    while ms < 20_000 {
        let t = ms as f64 / 1000.0;
        let angle = speed / radius * t;
        for (field, v) in [
            ("x", radius * angle.cos()),
            ("y", radius * angle.sin()),
            ("z", -200.0),
        ] {
            lines.push(row(ms, (v * 10_000.0).round() / 10_000.0, field, 1, "7"));
        }
        ms += [11, 12, 13, 12][step % 4];
        step += 1;
    }
    let last_ms = ms - [11, 12, 13, 12][(step - 1) % 4];
    for ms in (0..20_000).step_by(10) {
        for f in ["fx", "fy", "fz"] {
            lines.push(row(ms, 100.0, f, 1, "7"));
        }
    }
    ws.write("circle.csv", &(lines.join("\n") + "\n"));
    ws.ingest("telemetry", &["--max-rejects", "1000000", "circle.csv"])
        .success();
    let travelled = speed * (last_ms - 3) as f64 / 1000.0;
    let distance = ws.csv("SELECT distance_1_mm FROM telemetry.run_statistics WHERE run_uuid = 7");
    let distance: f64 = distance
        .lines()
        .nth(1)
        .expect("row")
        .parse()
        .expect("number");
    assert!(
        (distance / travelled - 1.0).abs() < 0.01,
        "{distance} vs {travelled}"
    );
    let mean: f64 = ws
        .csv("SELECT mean_speed_1 FROM telemetry.run_statistics WHERE run_uuid = 7")
        .lines()
        .nth(1)
        .expect("row")
        .parse()
        .expect("number");
    assert!((mean / speed - 1.0).abs() < 0.01, "mean speed {mean}");
    // Not only on average: every grid point's speed is within 1% of the true one.
    let off = ws.count(&format!(
        "SELECT count(*) FROM telemetry.run_features WHERE run_uuid = 7 AND abs(v1 / {speed} - 1) > 0.01"
    ));
    assert_eq!(off, 0, "grid points whose speed is off by more than 1%");
}

fn generate(ws: &Workspace, dir: &str, readings: u32, seed: u32) {
    ws.exercise()
        .args([
            "generate",
            "telemetry",
            "--readings",
            &readings.to_string(),
            "--seed",
            &seed.to_string(),
            "--output",
            dir,
        ])
        .assert()
        .success();
}

#[test]
fn generated_runs_account_for_every_row_and_quarantine_every_fault() {
    let ws = Workspace::new();
    generate(&ws, "gen", 400_000, 3);
    let load = ws
        .ingest("telemetry", &["--max-rejects", "1000000", "gen"])
        .success();
    let (read, inserted, duplicates, rejected) = load.rows();
    assert_eq!(read, inserted + duplicates + rejected, "{load}");
    assert_eq!(
        read as i64,
        ws.count("SELECT count(*) FROM telemetry.readings_raw")
    );
    assert_eq!(
        inserted as i64,
        ws.count("SELECT count(*) FROM telemetry.readings")
    );
    assert!(duplicates > 0 && rejected > 0, "{load}");
    let reasons = ws.csv(
        "SELECT DISTINCT regexp_replace(reason, ':.*', '') AS r FROM telemetry.readings_rejected ORDER BY r",
    );
    for reason in [
        "value is NaN",
        "value is infinite",
        "run_uuid is missing",
        "time is missing",
        "robot_id is not 1 or 2",
        "unknown field",
        "is not reported by sensor_type",
    ] {
        assert!(
            reasons.lines().any(|r| r.contains(reason)),
            "no reject for {reason}: {reasons}"
        );
    }
    // The cheap validity test that spares most rows the reason agrees with the reason on every row.
    assert_eq!(
        ws.count(
            "SELECT count(*) FROM telemetry.readings_raw
             WHERE telemetry.is_valid_reading(time, value, field, robot_id, run_uuid, sensor_type, unparsed)
                 = (telemetry.reading_defect(time, value, field, robot_id, run_uuid, sensor_type, unparsed) IS NOT NULL)"
        ),
        0
    );
    // Spikes are flagged, not deleted, and left out of the features.
    assert!(ws.count("SELECT count(*) FROM telemetry.readings WHERE is_spike") > 0);
    // Where both sensors report, no sensor column is NULL anywhere; where one is missing, its columns are
    // NULL everywhere (never invented) and the statistics name it.
    let nulls = ws.count(
        "SELECT count(*) FROM telemetry.run_features JOIN telemetry.run_statistics USING (run_uuid)
         WHERE missing_sensors IS NULL
           AND (fx_1 IS NULL OR fx_2 IS NULL OR fy_1 IS NULL OR fy_2 IS NULL OR fz_1 IS NULL OR fz_2 IS NULL
             OR x_1 IS NULL OR x_2 IS NULL OR y_1 IS NULL OR y_2 IS NULL OR z_1 IS NULL OR z_2 IS NULL)",
    );
    assert_eq!(nulls, 0);
    assert!(
        ws.count("SELECT count(*) FROM telemetry.run_statistics WHERE missing_sensors IS NULL") > 0
    );
    let invented = ws.count(
        "SELECT count(*) FROM telemetry.run_features JOIN telemetry.run_statistics USING (run_uuid)
         WHERE missing_sensors = 'encoder_1, encoder_2' AND (x_1 IS NOT NULL OR v1 IS NOT NULL)",
    );
    assert_eq!(invented, 0);
    assert!(
        ws.count("SELECT count(*) FROM telemetry.run_statistics WHERE missing_sensors = 'encoder_1, encoder_2'")
            >= 1
    );
    // The generator names files run-NNNN-<run_uuid>; the first id is above 2^63 and is kept exactly.
    let first = std::fs::read_dir(ws.path("gen"))
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("run-0000-"))
        .expect("first run file");
    let uuid: u64 = first["run-0000-".len()..first.len() - ".parquet".len()]
        .parse()
        .expect("id");
    assert!(uuid > 1 << 63);
    assert_eq!(
        ws.count(&format!(
            "SELECT count(*) FROM telemetry.runs WHERE run_uuid = {uuid}"
        )),
        1
    );
}

#[test]
fn reingesting_adds_nothing_and_a_new_run_recomputes_only_itself() {
    let ws = Workspace::new();
    generate(&ws, "gen", 200_000, 5);
    ws.ingest("telemetry", &["--max-rejects", "1000000", "gen"])
        .success();
    let before = ws.csv("SELECT run_uuid, derived_in_run FROM telemetry.runs ORDER BY run_uuid");
    let features = ws.count("SELECT count(*) FROM telemetry.run_features");
    let load = ws
        .ingest("telemetry", &["--max-rejects", "1000000", "gen"])
        .success();
    assert_eq!(load.loaded, 0, "{load}");
    assert!(load.stdout.contains("derived 0 of"), "{load}");
    assert_eq!(
        ws.csv("SELECT run_uuid, derived_in_run FROM telemetry.runs ORDER BY run_uuid"),
        before
    );
    assert_eq!(
        ws.count("SELECT count(*) FROM telemetry.run_features"),
        features
    );
    // The same rows under another name are duplicates, not new readings.
    let first = std::fs::read_dir(ws.path("gen"))
        .expect("dir")
        .next()
        .expect("a file")
        .expect("entry");
    std::fs::copy(first.path(), ws.path("copy.parquet")).expect("copy");
    let load = ws.ingest(
        "telemetry",
        &["--force", "copy.parquet", "--max-rejects", "1000000"],
    );
    assert_eq!((load.loaded, load.inserted), (1, 0), "{load}");
    // A new run: only it is derived.
    generate(&ws, "more", 20_000, 99);
    let load = ws
        .ingest("telemetry", &["--max-rejects", "1000000", "gen", "more"])
        .success();
    let runs_before = before.lines().count() - 1;
    assert!(
        load.stdout
            .contains(&format!("derived 1 of {} run(s)", runs_before + 1)),
        "{load}"
    );
    let after = ws.csv("SELECT run_uuid, derived_in_run FROM telemetry.runs ORDER BY run_uuid");
    let unchanged = before
        .lines()
        .filter(|l| after.lines().any(|a| a == *l))
        .count();
    assert_eq!(
        unchanged,
        runs_before + 1,
        "every old run (and the header) untouched:\n{before}\n{after}"
    );
}

#[test]
fn a_new_grid_recomputes_every_run_and_says_why() {
    let ws = Workspace::new();
    hand_built_run(&ws);
    ws.ingest("telemetry", &["--max-rejects", "1000000", "runs/hand.csv"])
        .success();
    let load = ws
        .ingest("telemetry", &["--grid-ms", "20", "runs/hand.csv"])
        .success();
    assert!(load.stdout.contains("grid changed to 20 ms"), "{load}");
    assert_eq!(ws.count("SELECT count(*) FROM telemetry.run_features"), 3);
    assert_eq!(ws.count("SELECT grid_ms FROM telemetry.settings"), 20);
}

#[test]
fn run_writes_csv_and_parquet_and_plot_draws_a_picture() {
    let ws = Workspace::new();
    hand_built_run(&ws);
    ws.ingest("telemetry", &["--max-rejects", "1000000", "runs/hand.csv"])
        .success();
    let out = ws.run(&["run", RUN, "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = stdout(&out);
    assert!(
        csv.starts_with("time,fx_1,fx_2,fy_1,fy_2,fz_1,fz_2,x_1,x_2,y_1,y_2,z_1,z_2,vx_1,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 6);
    ws.exercise()
        .args(["run", RUN, "--format", "parquet", "--output", "run.parquet"])
        .assert()
        .success();
    let parquet = duckdb::Connection::open_in_memory().unwrap();
    let with_speed: i64 = parquet
        .query_row(
            &format!(
                "SELECT count(*) FROM read_parquet('{}') WHERE v1 IS NOT NULL",
                ws.path("run.parquet").display()
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(with_speed, 5);
    ws.exercise()
        .args(["plot", RUN, "--output", "run.png"])
        .assert()
        .success();
    let png = std::fs::read(ws.path("run.png")).expect("png written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 1600);
    assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 1200);
    assert!(
        png.len() > 10_000,
        "a picture with lines and text is not this small: {}",
        png.len()
    );
    ws.exercise()
        .args(["runs", "--format", "csv"])
        .assert()
        .stdout(contains(RUN));
}

#[test]
fn unknown_runs_and_foreign_files_get_one_clear_error_and_change_nothing() {
    let ws = Workspace::new();
    ws.exercise()
        .args(["run", "42"])
        .assert()
        .stderr(contains("no warehouse at"));
    ws.exercise().arg("migrate").assert().success();
    ws.exercise()
        .args(["run", "42"])
        .assert()
        .failure()
        .stderr(contains("no run 42"));
    hand_built_run(&ws);
    ws.write("runs/other.csv", "a,b\n1,2\n");
    let load = ws.ingest("telemetry", &["runs"]);
    assert_ne!(load.code, Some(0), "{load}");
    assert!(
        load.stderr.contains("other.csv: the header lacks column(s) time, value, field, robot_id, run_uuid, sensor_type"),
        "{load}"
    );
    ws.write("junk.parquet", "not parquet at all, not at all");
    let load = ws.ingest("telemetry", &["runs/hand.csv", "junk.parquet"]);
    assert_ne!(load.code, Some(0), "{load}");
    assert!(load.stderr.contains("junk.parquet"), "{load}");
    // DuckDB's own reason, not a consequence of it.
    assert!(
        load.stderr.contains("magic bytes") && !load.stderr.contains("aborted"),
        "{load}"
    );
    assert_eq!(ws.count("SELECT count(*) FROM telemetry.readings_raw"), 0);
    assert_eq!(ws.count("SELECT count(*) FROM meta.file_loads"), 0);
}

#[test]
fn the_shipped_sample_run_loads_as_the_readme_says() {
    let ws = Workspace::new();
    let sample = common::resource_path("telemetry");
    let load = ws
        .ingest(
            "telemetry",
            &[
                "--max-rejects",
                "1000000",
                sample.to_str().expect("utf8 path"),
            ],
        )
        .success();
    assert_eq!(load.rows(), (38989, 38930, 43, 16), "{load}");
    assert_eq!(
        ws.csv("SELECT run_uuid, missing_sensors FROM telemetry.run_statistics"),
        "run_uuid,missing_sensors\n14362655785317539666,\n"
    );
}

#[test]
fn telemetry_files_are_recognised_by_their_columns() {
    let ws = Workspace::new();
    hand_built_run(&ws);
    let load = ws.ingest_data(&["runs/hand.csv"]).success();
    assert!(
        load.stdout.starts_with("telemetry: 1 file(s) loaded"),
        "{load}"
    );
    let sample = common::resource_path("telemetry");
    let load = ws.ingest_data(&["--max-rejects", "100", sample.to_str().expect("utf8")]);
    assert!(
        load.stdout.starts_with("telemetry: 1 file(s) loaded"),
        "{load}"
    );
    // Votes are still the default for everything else.
    ws.copy_resource("votes/example.jsonl", "votes.jsonl");
    let load = ws.ingest_data(&["votes.jsonl"]);
    assert!(load.stdout.starts_with("votes: 1 file(s) loaded"), "{load}");
}

#[test]
fn a_later_file_extending_a_run_is_checked_against_what_is_there() {
    let ws = Workspace::new();
    hand_built_run(&ws);
    ws.ingest("telemetry", &["--max-rejects", "1000000", "runs/hand.csv"])
        .success();
    // The same instant with the same value (a duplicate), with another value (a conflict), and a new one.
    let later = [
        HEADER.to_string(),
        row(40, 7.0, "x", 1, RUN),
        row(40, 8.0, "y", 1, RUN),
        row(50, 9.0, "x", 1, RUN),
    ];
    ws.write("runs/later.csv", &(later.join("\n") + "\n"));
    let load = ws
        .ingest("telemetry", &["--max-rejects", "1000000", "runs/later.csv"])
        .success();
    assert_eq!(load.rows(), (3, 1, 1, 1), "{load}");
    assert!(load.stdout.contains("derived 1 of 1 run(s)"), "{load}");
    let reason = ws.csv("SELECT reason FROM telemetry.readings_rejected");
    assert!(
        reason.contains(
            "another value (0.0) was reported first for this run, robot, field and time, at row"
        ),
        "{reason}"
    );
    assert!(reason.contains("hand.csv"), "{reason}");
    // The run now ends at 50 ms: one more grid point.
    assert_eq!(
        ws.count(&format!(
            "SELECT count(*) FROM telemetry.run_features WHERE run_uuid = {RUN}"
        )),
        6
    );
}

#[test]
fn a_file_without_readings_aborts_the_load_naming_it() {
    let ws = Workspace::new();
    hand_built_run(&ws);
    ws.write("runs/header-only.csv", &format!("{HEADER}\n"));
    let load = ws.ingest("telemetry", &["runs"]);
    assert_ne!(load.code, Some(0), "{load}");
    assert!(
        load.stderr
            .contains("header-only.csv: file has no readings"),
        "{load}"
    );
    assert_eq!(ws.count("SELECT count(*) FROM telemetry.readings_raw"), 0);
    assert_eq!(ws.count("SELECT count(*) FROM meta.file_loads"), 0);
}

#[test]
fn a_run_whose_every_row_is_rejected_is_no_run() {
    let ws = Workspace::new();
    hand_built_run(&ws);
    // Another run in the same load: a NaN, a robot 3 and an unknown field, nothing valid.
    let other = "9000000000000000001";
    let bad = [
        HEADER.to_string(),
        row(0, f64::NAN, "x", 1, other),
        row(10, 1.0, "x", 3, other),
        row(20, 1.0, "w", 1, other),
    ];
    ws.write("runs/bad.csv", &(bad.join("\n") + "\n"));
    let load = ws
        .ingest(
            "telemetry",
            &["--max-rejects", "1000000", "runs/hand.csv", "runs/bad.csv"],
        )
        .success();
    assert!(load.stdout.contains("derived 1 of 1 run(s)"), "{load}");
    assert_eq!(
        ws.csv("SELECT run_uuid FROM telemetry.runs"),
        format!("run_uuid\n{RUN}\n")
    );
    assert_eq!(
        ws.count(&format!(
            "SELECT count(*) FROM telemetry.readings_rejected WHERE run_uuid = {other}"
        )),
        3
    );
    assert_eq!(
        ws.count(&format!(
            "SELECT count(*) FROM telemetry.run_features WHERE run_uuid = {other}"
        )),
        0
    );
}

#[test]
fn a_reading_stamped_years_off_fails_the_load_naming_its_run_and_changes_nothing() {
    let ws = Workspace::new();
    hand_built_run(&ws);
    ws.ingest("telemetry", &["--max-rejects", "1000000", "runs/hand.csv"])
        .success();
    let before = ws.csv("SELECT count(*) AS n FROM telemetry.readings_raw");
    // A logger whose clock fell back to 1970 for one reading of an existing run.
    let wrong = [
        HEADER.to_string(),
        format!("1970-01-01T00:00:00.000Z,1.0,x,1,{RUN},encoder"),
    ];
    ws.write("runs/wrong.csv", &(wrong.join("\n") + "\n"));
    let load = ws.ingest("telemetry", &["runs/wrong.csv"]);
    assert_ne!(load.code, Some(0), "{load}");
    let err = &load.stderr;
    assert!(
        err.contains(&format!("run {RUN}: its readings span"))
            && err.contains("a reading's clock is probably wrong"),
        "{err}"
    );
    assert_eq!(
        ws.csv("SELECT count(*) AS n FROM telemetry.readings_raw"),
        before
    );
    assert_eq!(
        ws.count("SELECT count(*) FROM meta.file_loads WHERE path LIKE '%wrong.csv'"),
        0
    );
}

#[test]
fn csv_texts_are_read_exactly_or_rejected_with_what_they_said() {
    let ws = Workspace::new();
    let run = "9000000000000000002";
    let lines = [
        HEADER.to_string(),
        format!("2022-11-23T21:40:00.010+01:00,1.5,x,1,{run},encoder"),
        format!("2022-11-23T20:40:00.020Z,2.5,x,1,{run},encoder"),
        format!("epoch,1.0,x,1,{run},encoder"),
        format!("2022-11-23 20:40:00.030 EST,1.0,x,1,{run},encoder"),
        format!("2022-11-23T20:40:00.0400001Z,1.0,x,1,{run},encoder"),
        format!("infinity,1.0,x,1,{run},encoder"),
        format!("2022-11-23T20:40:00.050Z,1_000,x,1,{run},encoder"),
        format!("2022-11-23T20:40:00.060Z,+-5,x,1,{run},encoder"),
        format!("2022-11-23T20:40:00.070Z,1.0,w,1,{run},gyro"),
        // a short text with a seventh digit of a second; a blank before a time; beyond a double's range
        format!("2022-11-23 20:40:1.1234567,1.0,x,1,{run},encoder"),
        format!(" 2022-11-23T20:40:00.080Z,1.0,x,1,{run},encoder"),
        format!("2022-11-23T20:40:00.090Z,1e400,x,1,{run},encoder"),
        format!("2022-11-23T20:40:00.100Z,1e-400,x,1,{run},encoder"),
        // nine digits of a second whose last three are zeros: whole microseconds, stored
        format!("2022-11-23T20:40:00.110000000Z,3.5,x,1,{run},encoder"),
    ];
    ws.write("runs/texts.csv", &(lines.join("\n") + "\n"));
    let load = ws
        .ingest("telemetry", &["--max-rejects", "20", "runs/texts.csv"])
        .success();
    assert_eq!(load.rows(), (14, 3, 0, 11), "{load}");
    // the offset is converted to UTC; the rest is not stored as some other instant or number
    assert_eq!(
        ws.csv("SELECT time, value FROM telemetry.readings ORDER BY time"),
        "time,value\n2022-11-23T20:40:00.010,1.5\n2022-11-23T20:40:00.020,2.5\n2022-11-23T20:40:00.110,3.5\n"
    );
    assert_eq!(
        ws.csv("SELECT line_number, reason FROM telemetry.readings_rejected ORDER BY line_number"),
        "line_number,reason\n\
         4,time is not a timestamp: epoch\n\
         5,time is not a timestamp: 2022-11-23 20:40:00.030 EST\n\
         6,time is finer than a microsecond: 2022-11-23T20:40:00.0400001Z\n\
         7,time is not a timestamp: infinity\n\
         8,value is not a number: 1_000\n\
         9,value is not a number: +-5\n\
         10,unknown field: w; unknown sensor_type: gyro\n\
         11,time is finer than a microsecond: 2022-11-23 20:40:1.1234567\n\
         12,time is not a timestamp:  2022-11-23T20:40:00.080Z\n\
         13,value is not a number: 1e400\n\
         14,value is not a number: 1e-400\n"
    );
}

/// V015 makes field and sensor_type ENUMs of their known values; a warehouse loaded before keeps the text
/// of any other value in unparsed (it was rejected already, with that text in its reason).
#[test]
fn a_warehouse_from_before_the_enums_keeps_each_unknown_text_in_unparsed() {
    let ws = Workspace::new();
    ws.exercise().arg("migrate").assert().success();
    {
        let conn = duckdb::Connection::open(ws.db()).unwrap();
        conn.execute_batch(
            "DROP TABLE telemetry.readings_raw;
             CREATE TABLE telemetry.readings_raw (source_file_id BIGINT NOT NULL, row_number BIGINT NOT NULL,
                 time TIMESTAMP, value DOUBLE, field VARCHAR, robot_id BIGINT, run_uuid UBIGINT,
                 sensor_type VARCHAR, unparsed VARCHAR);
             INSERT INTO telemetry.readings_raw VALUES
                 (1, 1, TIMESTAMP '2022-11-23 20:40:00', 1.5, 'x', 1, 7, 'encoder', NULL),
                 (1, 2, TIMESTAMP '2022-11-23 20:40:00', 1.5, 'w', 1, 7, 'encoder', NULL),
                 (1, 3, NULL, 1.5, 'torque', 1, 7, 'gyro', 'time is not a timestamp: later'),
                 (1, 4, TIMESTAMP '2022-11-23 20:40:00', 1.5, 'fx', 2, 7, NULL, NULL);
             DELETE FROM meta.schema_migrations WHERE version >= 15;",
        )
        .unwrap();
    }
    ws.exercise().arg("migrate").assert().success();
    assert_eq!(
        ws.csv("SELECT row_number, field, sensor_type, unparsed FROM telemetry.readings_raw ORDER BY 1"),
        "row_number,field,sensor_type,unparsed\n\
         1,x,encoder,\n\
         2,,encoder,unknown field: w\n\
         3,,,time is not a timestamp: later; unknown field: torque; unknown sensor_type: gyro\n\
         4,fx,,\n"
    );
    assert_eq!(
        ws.csv(
            "SELECT column_name, data_type FROM duckdb_columns()
             WHERE schema_name = 'telemetry' AND table_name = 'readings_raw'
               AND column_name IN ('field', 'sensor_type') ORDER BY 1"
        ),
        "column_name,data_type\n\
         field,\"ENUM('fx', 'fy', 'fz', 'x', 'y', 'z')\"\n\
         sensor_type,\"ENUM('encoder', 'load_cell')\"\n"
    );
}

/// Parquet files whose columns have other types are read in statements of their own (DuckDB would read
/// them with the first file's types, converting with its lenient casts), so each file's times are judged
/// as that file sent them.
#[test]
fn parquet_files_whose_times_have_other_types_are_each_judged_as_sent() {
    let ws = Workspace::new();
    let file = |name: &str, time: &str| two_readings(&ws, name, time, "1.5 + i");
    file("a", TWO_TIMES);
    file(
        "b",
        "CASE i WHEN 0 THEN '2022-11-23T21:40:00.020+01:00' ELSE '2022-11-23 20:40:00.0300001' END",
    );
    file(
        "c",
        "CASE i WHEN 0 THEN TIMESTAMP_NS '2022-11-23 20:40:00.040000000'
                ELSE TIMESTAMP_NS '2022-11-23 20:40:00.050000001' END",
    );
    // as pyarrow and pandas write a tz-aware nanosecond time (TIMESTAMPTZ_NS), which DuckDB cannot write
    ws.copy_resource(
        "parquet-types/telemetry-timestamptz-ns.parquet",
        "runs/d.parquet",
    );
    let load = ws
        .ingest("telemetry", &["--max-rejects", "5", "runs"])
        .success();
    assert_eq!(load.rows(), (8, 5, 0, 3), "{load}");
    assert_eq!(
        ws.csv("SELECT time FROM telemetry.readings ORDER BY time"),
        "time\n2022-11-23T20:40:00\n2022-11-23T20:40:00.010\n2022-11-23T20:40:00.020\n2022-11-23T20:40:00.040\n2022-11-23T20:40:00.060\n"
    );
    assert_eq!(
        rejects_by_file(&ws),
        "file,line_number,reason\n\
         b.parquet,2,time is finer than a microsecond: 2022-11-23 20:40:00.0300001\n\
         c.parquet,2,time is finer than a microsecond: 2022-11-23 20:40:00.050000001\n\
         d.parquet,2,time is finer than a microsecond: 2022-11-23 20:40:00.070000001+00\n"
    );
}

/// A Parquet value column of integers is stored as doubles; one of booleans is no number.
#[test]
fn parquet_values_of_booleans_are_no_numbers() {
    let ws = Workspace::new();
    let file = |name: &str, value: &str| two_readings(&ws, name, TWO_TIMES, value);
    file("ints", "CASE i WHEN 0 THEN 5::BIGINT ELSE 7::BIGINT END");
    file("flags", "i = 0");
    let load = ws
        .ingest("telemetry", &["--max-rejects", "5", "runs"])
        .success();
    assert_eq!(load.rows(), (4, 2, 0, 2), "{load}");
    assert_eq!(
        ws.csv("SELECT value FROM telemetry.readings ORDER BY 1"),
        "value\n5.0\n7.0\n"
    );
    assert_eq!(
        rejects_by_file(&ws),
        "file,line_number,reason\n\
         flags.parquet,1,value is not a number: true\n\
         flags.parquet,2,value is not a number: false\n"
    );
}

/// The times of `two_readings`' rows when they are plain: 20:40:00.000 and .010.
const TWO_TIMES: &str = "TIMESTAMP '2022-11-23 20:40:00' + INTERVAL (10 * i) MILLISECOND";

/// Writes `runs/NAME.parquet`: two readings (i = 0 and 1) of run 77, robot 1, field x, whose time and
/// value are the DuckDB expressions given (of i), each column of the type its expression has.
fn two_readings(ws: &Workspace, name: &str, time: &str, value: &str) {
    std::fs::create_dir_all(ws.path("runs")).unwrap();
    duckdb::Connection::open_in_memory()
        .unwrap()
        .execute_batch(&format!(
            "COPY (SELECT {time} AS time, {value} AS value, 'x' AS field, 1::BIGINT AS robot_id,
                          77::UBIGINT AS run_uuid, 'encoder' AS sensor_type FROM range(2) r(i))
             TO '{}' (FORMAT parquet)",
            ws.path(&format!("runs/{name}.parquet")).display()
        ))
        .unwrap();
}

/// The rejected readings as `file,line_number,reason` (the file's name only), by file and line.
fn rejects_by_file(ws: &Workspace) -> String {
    ws.csv(
        "SELECT regexp_extract(source_file, '[^/]*$') AS file, line_number, reason
         FROM telemetry.readings_rejected ORDER BY 1, 2",
    )
}
