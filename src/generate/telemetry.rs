//! Robot telemetry: long-format readings of two robot arms forming sheet metal, one file per run, with
//! both clocks' jitter, runs missing a sensor, dropouts, and the faults a real logger produces.
use super::{seeded, SeededRng};
use anyhow::{Context, Result};
use duckdb::arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray, UInt64Array};
use duckdb::arrow::record_batch::RecordBatch;
use rand::{Rng, RngExt};
use rand_distr::Normal;
use std::f64::consts::PI;
use std::path::Path;
use std::sync::Arc;

/// 2022-11-23T20:40:00Z, the sample's first instant, in epoch milliseconds.
const START_MS: i64 = 1_669_236_000_000;
const ENCODER_FIELDS: [&str; 3] = ["x", "y", "z"];
const LOAD_CELL_FIELDS: [&str; 3] = ["fx", "fy", "fz"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Parquet,
    Csv,
}

/// What one run records.
#[derive(Clone, Debug)]
struct RunPlan {
    index: u64,
    uuid: u64,
    start_ms: i64,
    duration_ms: i64,
    encoder: bool,
    load_cell: bool,
    seed: u64,
}

/// Readings per second of a run: two robots, three fields per sample, encoder every ~12 ms, load cell
/// every ~10 ms.
fn rate(encoder: bool, load_cell: bool) -> f64 {
    2.0 * (if encoder { 250.0 } else { 0.0 } + if load_cell { 300.0 } else { 0.0 })
}

fn plan_runs(readings: u64, seed: u64) -> Vec<RunPlan> {
    let mut rng = seeded(seed);
    let mut runs = Vec::new();
    let mut left = readings as f64;
    let mut start_ms = START_MS;
    while left > 0.0 {
        let index = runs.len() as u64;
        // The first three runs cover the three kinds; then 80% both sensors, 10% each alone.
        let kind = match index {
            0..=2 => index,
            _ => match rng.random_range(0..10) {
                0 => 1,
                1 => 2,
                _ => 0,
            },
        };
        let (encoder, load_cell) = (kind != 1, kind != 2);
        let wanted_s: f64 = rng.random_range(60.0..240.0);
        let duration_s = wanted_s.min(left / rate(encoder, load_cell)).max(1.0);
        left -= duration_s * rate(encoder, load_cell);
        let duration_ms = (duration_s * 1000.0) as i64;
        // Some ids above 2^63, as in the real logger (the first one always).
        let uuid = rng.next_u64() | if index == 0 { 1 << 63 } else { 0 };
        runs.push(RunPlan {
            index,
            uuid,
            start_ms,
            duration_ms,
            encoder,
            load_cell,
            seed: rng.next_u64(),
        });
        start_ms += duration_ms + rng.random_range(30_000..630_000);
    }
    runs
}

/// The arm's path: a spiral that tightens while the tool pushes deeper, layer by layer.
struct Path3 {
    centre: (f64, f64),
    r0: f64,
    r1: f64,
    omega: f64,
    phase: f64,
    z0: f64,
    depth: f64,
    duration_s: f64,
}

impl Path3 {
    fn new(rng: &mut SeededRng, robot: i64, duration_s: f64) -> Result<Self> {
        let r0 = rng.random_range(150.0..400.0);
        let speed = rng.random_range(30.0..80.0); // mm/s at the start
        Ok(Path3 {
            centre: (
                rng.sample(Normal::new(1_200.0, 20.0)?),
                rng.sample(Normal::new(900.0, 20.0)?),
            ),
            r0,
            r1: r0 * rng.random_range(0.2..0.5),
            omega: speed / r0,
            phase: if robot == 1 { 0.0 } else { PI },
            z0: if robot == 1 { -200.0 } else { -150.0 },
            depth: rng.random_range(20.0..60.0),
            duration_s,
        })
    }

    fn at(&self, t: f64) -> [f64; 3] {
        let k = t / self.duration_s;
        let r = self.r0 + (self.r1 - self.r0) * k;
        let a = self.omega * t + self.phase;
        [
            self.centre.0 + r * a.cos(),
            self.centre.1 + r * a.sin(),
            self.z0 - self.depth * k,
        ]
    }

    /// Forces follow the direction of travel and grow as the part gets deeper.
    fn force(&self, t: f64, robot: i64) -> [f64; 3] {
        let a = self.omega * t + self.phase;
        let k = t / self.duration_s;
        let push = 300.0 + 200.0 * k + 40.0 * (2.0 * t).sin();
        let sign = if robot == 1 { -1.0 } else { 1.0 };
        [-150.0 * a.sin(), 150.0 * a.cos(), sign * push]
    }
}

/// One reading as the logger wrote it; `None` is a null.
#[derive(Clone, Copy)]
struct Row {
    sort_ms: i64,
    time_ms: Option<i64>,
    value: f64,
    field: &'static str,
    robot_id: i64,
    run_uuid: Option<u64>,
    sensor_type: &'static str,
}

/// Sample times (ms from the run's start) of one sensor's clock, with its jitter and maybe a dropout.
fn clock(rng: &mut SeededRng, encoder: bool, duration_ms: i64) -> Vec<i64> {
    let dropout = if rng.random_bool(0.3) && duration_ms > 20_000 {
        let from = rng.random_range(0..duration_ms - 10_000);
        Some((from, from + rng.random_range(2_000..5_000)))
    } else {
        None
    };
    let mut t = rng.random_range(0..10);
    let mut times = Vec::with_capacity((duration_ms / 10) as usize + 1);
    while t < duration_ms {
        if !dropout.is_some_and(|(a, b)| t >= a && t < b) {
            times.push(t);
        }
        t += if encoder {
            12 + [-2, -1, 0, 0, 0, 0, 1, 2][rng.random_range(0..8)]
        } else if rng.random_bool(0.98) {
            10
        } else {
            [9, 11, 12, 15, 20][rng.random_range(0..5)]
        };
    }
    times
}

/// A logger fault, maybe: returns the row as written.
fn with_fault(rng: &mut SeededRng, mut row: Row, scale: f64) -> Row {
    let u: f64 = rng.random();
    match u {
        u if u < 1.0e-4 => row.value = f64::NAN,
        u if u < 1.5e-4 => {
            row.value = if rng.random_bool(0.5) {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            }
        }
        u if u < 2.0e-4 => row.run_uuid = None,
        u if u < 2.5e-4 => row.time_ms = None,
        u if u < 3.0e-4 => row.field = if rng.random_bool(0.5) { "w" } else { "torque" },
        u if u < 3.5e-4 => row.robot_id = 3,
        u if u < 4.0e-4 => {
            row.sensor_type = if row.sensor_type == "encoder" {
                "load_cell"
            } else {
                "encoder"
            }
        }
        u if u < 5.0e-4 => {
            let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            row.value += sign * scale * rng.random_range(30.0..100.0)
        }
        _ => {}
    }
    row
}

fn run_rows(run: &RunPlan) -> Result<Vec<Row>> {
    let mut rng = seeded(run.seed);
    let duration_s = run.duration_ms as f64 / 1000.0;
    let mut rows = Vec::new();
    for robot in [1i64, 2] {
        let path = Path3::new(&mut rng, robot, duration_s)?;
        for (encoder, present) in [(true, run.encoder), (false, run.load_cell)] {
            if !present {
                continue;
            }
            let (fields, sensor_type, scale, noise) = if encoder {
                (ENCODER_FIELDS, "encoder", 2.0, Normal::new(0.0, 0.005)?)
            } else {
                (LOAD_CELL_FIELDS, "load_cell", 20.0, Normal::new(0.0, 3.0)?)
            };
            for t_ms in clock(&mut rng, encoder, run.duration_ms) {
                let t = t_ms as f64 / 1000.0;
                let values = if encoder {
                    path.at(t)
                } else {
                    path.force(t, robot)
                }
                .map(|v| v + rng.sample(noise));
                for (field, value) in fields.iter().zip(values) {
                    let ms = run.start_ms + t_ms;
                    let row = Row {
                        sort_ms: ms,
                        time_ms: Some(ms),
                        value: (value * 10_000.0).round() / 10_000.0,
                        field,
                        robot_id: robot,
                        run_uuid: Some(run.uuid),
                        sensor_type,
                    };
                    let row = with_fault(&mut rng, row, scale);
                    if rng.random_bool(1.0e-3) {
                        rows.push(row);
                    }
                    rows.push(row);
                }
            }
        }
    }
    rows.sort_by_key(|r| r.sort_ms);
    // The logger's buffers sometimes flush out of order.
    for i in 1..rows.len() {
        if rng.random_bool(1.0e-3) {
            rows.swap(i - 1, i);
        }
    }
    Ok(rows)
}

fn batch(rows: &[Row]) -> Result<RecordBatch> {
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "time_ms",
            Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.time_ms))),
        ),
        (
            "value",
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.value))),
        ),
        (
            "field",
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.field))),
        ),
        (
            "robot_id",
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|r| r.robot_id),
            )),
        ),
        (
            "run_uuid",
            Arc::new(UInt64Array::from_iter(rows.iter().map(|r| r.run_uuid))),
        ),
        (
            "sensor_type",
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.sensor_type),
            )),
        ),
    ];
    RecordBatch::try_from_iter(columns).context("building a telemetry batch")
}

fn write_run(dir: &Path, run: &RunPlan, format: FileFormat) -> Result<u64> {
    let rows = run_rows(run)?;
    let conn = duckdb::Connection::open_in_memory()?;
    conn.execute_batch(
        "SET threads = 1;
         CREATE TABLE rows (time_ms BIGINT, value DOUBLE, field VARCHAR, robot_id BIGINT,
                            run_uuid UBIGINT, sensor_type VARCHAR);",
    )?;
    {
        let mut appender = conn.appender("rows")?;
        for chunk in rows.chunks(65_536) {
            appender.append_record_batch(batch(chunk)?)?;
        }
        appender.flush()?;
    }
    let (ext, time, options) = match format {
        FileFormat::Parquet => ("parquet", "epoch_ms(time_ms)", "FORMAT parquet"),
        FileFormat::Csv => (
            "csv",
            "strftime(epoch_ms(time_ms), '%Y-%m-%dT%H:%M:%S.%gZ')",
            "FORMAT csv, HEADER",
        ),
    };
    let path = dir.join(format!("run-{:04}-{}.{ext}", run.index, run.uuid));
    let quoted = path.to_string_lossy().replace('\'', "''");
    conn.execute_batch(&format!(
        "COPY (SELECT {time} AS time, value, field, robot_id, run_uuid, sensor_type FROM rows)
         TO '{quoted}' ({options})"
    ))
    .with_context(|| format!("writing {}", path.display()))?;
    Ok(rows.len() as u64)
}

/// Writes about `readings` readings, one file per run. Returns (files, rows).
pub fn generate(dir: &Path, readings: u64, seed: u64, format: FileFormat) -> Result<(u64, u64)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let runs = plan_runs(readings, seed);
    let rows = super::parallel_sum(&runs, |run| write_run(dir, run, format))?;
    Ok((runs.len() as u64, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_cover_every_kind_and_the_requested_size() {
        let runs = plan_runs(2_000_000, 7);
        assert!(runs[0].uuid > 1 << 63);
        assert!(runs.iter().any(|r| r.encoder && r.load_cell));
        assert!(runs.iter().any(|r| r.encoder && !r.load_cell));
        assert!(runs.iter().any(|r| !r.encoder && r.load_cell));
        let expected: f64 = runs
            .iter()
            .map(|r| r.duration_ms as f64 / 1000.0 * rate(r.encoder, r.load_cell))
            .sum();
        assert!((expected - 2_000_000.0).abs() < 20_000.0, "{expected}");
    }

    #[test]
    fn clocks_tick_at_their_rates() {
        let mut rng = seeded(1);
        let load = clock(&mut rng, false, 60_000);
        let tens = load.windows(2).filter(|w| w[1] - w[0] == 10).count();
        assert!(tens as f64 / (load.len() - 1) as f64 > 0.95);
        let enc = clock(&mut rng, true, 60_000);
        let mut steps: Vec<i64> = enc.windows(2).map(|w| w[1] - w[0]).collect();
        steps.sort();
        assert_eq!(steps[steps.len() / 2], 12);
        assert!(steps.iter().all(|s| *s >= 10));
    }
}
