//! The grid computation of the telemetry sweep, on one run's readings in memory: sort each series, set
//! repeats aside, flag spikes against the neighbours, average into grid buckets, carry values forward
//! and back, differentiate over the real time between samples. Pure: no I/O, unit-tested alone;
//! `sweep.rs` feeds it from the warehouse and writes what it returns.
use anyhow::{bail, Result};

/// Series are numbered like the columns of readings_wide: fx_1, fx_2, fy_1, fy_2, fz_1, fz_2, x_1, x_2,
/// y_1, y_2, z_1, z_2 (robot 1 even, robot 2 odd; the encoder from 6).
pub const SERIES: usize = 12;
const FIELDS: [&str; 6] = ["fx", "fy", "fz", "x", "y", "z"];

pub fn robot_of(series: usize) -> u8 {
    (series % 2) as u8 + 1
}

pub fn field_of(series: usize) -> &'static str {
    FIELDS[series / 2]
}

pub fn is_encoder(series: usize) -> bool {
    series >= 6
}

/// The three series of one sensor of one robot (robot 0 or 1), in x, y, z order.
fn sensor_series(encoder: bool, robot: usize) -> [usize; 3] {
    let base = if encoder { 6 } else { 0 } + robot;
    [base, base + 2, base + 4]
}

/// A single-sample spike: the value leaves the midpoint of its two neighbours (same run, robot and
/// field) by more than the sensor's threshold and more than ten times the neighbours' own difference,
/// so a fast but real movement (the neighbours move too) is not a spike. Thresholds: an encoder position
/// cannot jump 25 mm and back within two samples (~24 ms, over 1 m/s); a load cell 500 N likewise.
/// The first and last reading of a series have one neighbour and are never spikes.
fn is_spike(encoder: bool, value: f64, previous: f64, next: f64) -> bool {
    let threshold: f64 = if encoder { 25.0 } else { 500.0 };
    (value - (previous + next) / 2.0).abs() > threshold.max(10.0 * (next - previous).abs())
}

#[derive(Clone, Copy)]
pub struct Reading {
    pub time_us: i64,
    pub value: f64,
    pub file_id: i64,
    pub row_number: i64,
}

/// What one run contributes to each output.
#[derive(Default)]
pub struct Swept {
    pub features: Option<Result<FeatureColumns>>,
    pub spikes: Vec<(u64, i64, i64)>,
    pub series: Vec<SeriesFacts>,
    pub repeats: Vec<Repeat>,
}

pub struct SeriesFacts {
    pub run_uuid: u64,
    pub series: usize,
    pub readings: i64,
    pub spikes: i64,
    pub first_us: i64,
    pub last_us: i64,
    pub longest_gap_us: i64,
}

pub struct Repeat {
    pub run_uuid: u64,
    pub series: usize,
    pub reading: Reading,
    pub kept: Reading,
}

/// The run's repeats; with a grid (a changed run), also its spikes, series facts and features. Leaves
/// each series sorted, without repeats and spikes.
pub fn sweep_run(
    run_uuid: u64,
    series: &mut [Vec<Reading>; SERIES],
    grid_us: Option<i64>,
) -> Swept {
    let mut swept = Swept::default();
    for (s, readings) in series.iter_mut().enumerate() {
        if readings.is_empty() {
            continue;
        }
        set_repeats_aside(run_uuid, s, readings, &mut swept.repeats);
        if grid_us.is_none() {
            continue;
        }
        let spikes = spike_flags(is_encoder(s), readings);
        swept.series.push(SeriesFacts {
            run_uuid,
            series: s,
            readings: readings.len() as i64,
            spikes: spikes.iter().filter(|&&b| b).count() as i64,
            first_us: readings[0].time_us,
            last_us: readings[readings.len() - 1].time_us,
            longest_gap_us: readings
                .windows(2)
                .map(|w| w[1].time_us - w[0].time_us)
                .max()
                .unwrap_or(0),
        });
        let mut flags = spikes.iter();
        readings.retain(|r| {
            let spike = flags.next().copied().unwrap_or(false);
            if spike {
                swept.spikes.push((run_uuid, r.file_id, r.row_number));
            }
            !spike
        });
    }
    // What is left is what the grid averages.
    swept.features = match grid_us.map(|grid_us| Grid::new(run_uuid, series, grid_us)) {
        None | Some(Ok(None)) => None,
        Some(Ok(Some(grid))) => Some(grid.features(run_uuid)),
        Some(Err(err)) => Some(Err(err)),
    };
    swept
}

/// Sorts a series by time, then file and row (older loads have lower file ids), and keeps the first
/// reading of each instant; the others are repeats of it. The readings arrive nearly sorted: a stable
/// sort (which finds the sorted stretches) is close to one pass.
fn set_repeats_aside(
    run_uuid: u64,
    series: usize,
    readings: &mut Vec<Reading>,
    repeats: &mut Vec<Repeat>,
) {
    let key = |r: &Reading| (r.time_us, r.file_id, r.row_number);
    if !readings.is_sorted_by_key(key) {
        readings.sort_by_key(key);
    }
    let mut kept = 0;
    for i in 0..readings.len() {
        let r = readings[i];
        if kept > 0 && readings[kept - 1].time_us == r.time_us {
            repeats.push(Repeat {
                run_uuid,
                series,
                reading: r,
                kept: readings[kept - 1],
            });
        } else {
            readings[kept] = r;
            kept += 1;
        }
    }
    readings.truncate(kept);
}

fn spike_flags(encoder: bool, kept: &[Reading]) -> Vec<bool> {
    let mut flags = vec![false; kept.len()];
    for (i, w) in kept.windows(3).enumerate() {
        flags[i + 1] = is_spike(encoder, w[1].value, w[0].value, w[2].value);
    }
    flags
}

/// One sensor's grid buckets in which all three of its fields have a reading: their averages, and for
/// the encoder the mean time of its samples within the bucket (microseconds from the bucket's start).
struct Observed {
    bucket: usize,
    xyz: [f64; 3],
    offset_us: f64,
}

/// A run on the grid: buckets `first_bucket ..= first_bucket + len - 1`, from the first to the last
/// bucket holding a clean reading of any series.
struct Grid {
    grid_us: i64,
    first_bucket: i64,
    len: usize,
    /// Per sensor: load cell of robot 1, 2, then encoder of robot 1, 2.
    observed: [Vec<Observed>; 4],
}

/// The most grid points the sweep makes for one run (about 14 hours at 10 ms, ~3 GB while it is built):
/// more is a clock gone wrong (a reading stamped 1970 in a 2022 run), not a run.
const MAX_GRID_POINTS: i64 = 5_000_000;

impl Grid {
    /// None when the run has no clean reading; an error when its readings span too many grid points.
    fn new(run_uuid: u64, clean: &[Vec<Reading>; SERIES], grid_us: i64) -> Result<Option<Grid>> {
        let bucket = |r: &Reading| r.time_us.div_euclid(grid_us);
        let (Some(first_bucket), Some(last_bucket)) = (
            clean.iter().filter_map(|s| s.first()).map(bucket).min(),
            clean.iter().filter_map(|s| s.last()).map(bucket).max(),
        ) else {
            return Ok(None);
        };
        let points = last_bucket - first_bucket + 1;
        if points > MAX_GRID_POINTS {
            bail!(
                "run {run_uuid}: its readings span {:.1} hours, {points} grid points of {} ms, more than \
                 the {MAX_GRID_POINTS} made for one run: a reading's clock is probably wrong (its first and \
                 last readings: SELECT * FROM telemetry.readings WHERE run_uuid = {run_uuid} ORDER BY time), \
                 or use a coarser --grid-ms",
                (points * grid_us) as f64 / 3.6e9,
                grid_us / 1000
            );
        }
        let len = points as usize;
        let mut sums = vec![[0.0f64; SERIES]; len];
        let mut counts = vec![[0u32; SERIES]; len];
        // Encoder sample offsets per robot: sum, count.
        let mut offsets = vec![[(0i64, 0u32); 2]; len];
        for (s, readings) in clean.iter().enumerate() {
            for r in readings {
                let b = (bucket(r) - first_bucket) as usize;
                sums[b][s] += r.value;
                counts[b][s] += 1;
                if is_encoder(s) {
                    let o = &mut offsets[b][s % 2];
                    o.0 += r.time_us.rem_euclid(grid_us);
                    o.1 += 1;
                }
            }
        }
        let observe = |encoder: bool, robot: usize| -> Vec<Observed> {
            let fields = sensor_series(encoder, robot);
            (0..len)
                .filter(|&b| fields.iter().all(|&s| counts[b][s] > 0))
                .map(|b| Observed {
                    bucket: b,
                    xyz: fields.map(|s| sums[b][s] / counts[b][s] as f64),
                    offset_us: if encoder {
                        offsets[b][robot].0 as f64 / offsets[b][robot].1 as f64
                    } else {
                        0.0
                    },
                })
                .collect()
        };
        Ok(Some(Grid {
            grid_us,
            first_bucket,
            len,
            observed: [
                observe(false, 0),
                observe(false, 1),
                observe(true, 0),
                observe(true, 1),
            ],
        }))
    }

    fn features(&self, run_uuid: u64) -> Result<FeatureColumns> {
        let mut f = FeatureColumns::with_capacity(self.len);
        f.run_uuid = vec![run_uuid; self.len];
        f.time = (0..self.len as i64)
            .map(|b| (self.first_bucket + b) * self.grid_us)
            .collect();
        for robot in 0..2 {
            let load_cell = filled(&self.observed[robot], self.len);
            for (i, column) in load_cell.values.into_iter().enumerate() {
                f.values[robot + 2 * i] = column; // fx, fy, fz of this robot
            }
            f.filled[2 + robot] = load_cell.filled;
            let encoder = Kinematics::new(&self.observed[2 + robot], self.grid_us);
            let positions = filled(&self.observed[2 + robot], self.len);
            let rates = encoder.filled(&self.observed[2 + robot], self.len);
            for (i, column) in positions.values.into_iter().enumerate() {
                f.values[6 + robot + 2 * i] = column; // x, y, z of this robot
            }
            f.filled[robot] = positions.filled;
            f.distance[robot] = rates.distance;
            for i in 0..3 {
                f.velocity[3 * robot + i] =
                    rates.velocity.iter().map(|v| v.map(|v| v[i])).collect();
                f.acceleration[3 * robot + i] =
                    rates.acceleration.iter().map(|a| a.map(|a| a[i])).collect();
            }
        }
        Ok(f)
    }
}

fn norm(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

/// For each grid point, the index of the last observed bucket at or before it (None before the first).
fn as_of(observed: &[Observed], len: usize) -> Vec<Option<usize>> {
    let mut out = Vec::with_capacity(len);
    let mut last = None;
    let mut next = 0;
    for g in 0..len {
        while next < observed.len() && observed[next].bucket <= g {
            last = Some(next);
            next += 1;
        }
        out.push(last);
    }
    out
}

/// A sensor's three values on every grid point: the bucket's own when observed, else carried forward
/// from the last observed bucket, else (at the start) back from the first; all NULL, and `filled` NULL,
/// when the sensor never observed a bucket of the run.
struct Filled {
    values: [Vec<Option<f64>>; 3],
    filled: Vec<Option<bool>>,
}

fn filled(observed: &[Observed], len: usize) -> Filled {
    let Some(first) = observed.first() else {
        return Filled {
            values: [vec![None; len], vec![None; len], vec![None; len]],
            filled: vec![None; len],
        };
    };
    let at = as_of(observed, len);
    let source = |g: usize| at[g].map_or(first, |j| &observed[j]);
    Filled {
        values: [0, 1, 2].map(|i| (0..len).map(|g| Some(source(g).xyz[i])).collect()),
        filled: (0..len)
            .map(|g| Some(at[g].is_none_or(|j| observed[j].bucket != g)))
            .collect(),
    }
}

/// Encoder derivatives: the change between consecutive observed buckets divided by the real time
/// between the samples behind them (mean sample times, not the nominal grid step). A grid point whose
/// encoder is carried keeps the last derivative; the point after a dropout gets the mean rate over the
/// gap instead of a jump. Before the first known velocity (acceleration), the first known is used.
struct Kinematics {
    velocity: Vec<Option<[f64; 3]>>,
    acceleration: Vec<Option<[f64; 3]>>,
    distance: Vec<f64>,
}

struct FilledRates {
    velocity: Vec<Option<[f64; 3]>>,
    acceleration: Vec<Option<[f64; 3]>>,
    distance: Vec<Option<f64>>,
}

impl Kinematics {
    fn new(observed: &[Observed], grid_us: i64) -> Kinematics {
        let n = observed.len();
        let mut k = Kinematics {
            velocity: vec![None; n],
            acceleration: vec![None; n],
            distance: vec![0.0; n],
        };
        for j in 1..n {
            let (p, c) = (&observed[j - 1], &observed[j]);
            let dt =
                (((c.bucket - p.bucket) as i64 * grid_us) as f64 + c.offset_us - p.offset_us) / 1e6;
            let delta = [0, 1, 2].map(|i| c.xyz[i] - p.xyz[i]);
            let v = delta.map(|d| d / dt);
            k.distance[j] = norm(delta);
            if let Some(pv) = k.velocity[j - 1] {
                k.acceleration[j] = Some([0, 1, 2].map(|i| (v[i] - pv[i]) / dt));
            }
            k.velocity[j] = Some(v);
        }
        k
    }

    fn filled(&self, observed: &[Observed], len: usize) -> FilledRates {
        if observed.is_empty() {
            return FilledRates {
                velocity: vec![None; len],
                acceleration: vec![None; len],
                distance: vec![None; len],
            };
        }
        let first_velocity = self.velocity.iter().find_map(|v| *v);
        let first_acceleration = self.acceleration.iter().find_map(|a| *a);
        let at = as_of(observed, len);
        FilledRates {
            velocity: at
                .iter()
                .map(|j| j.and_then(|j| self.velocity[j]).or(first_velocity))
                .collect(),
            acceleration: at
                .iter()
                .map(|j| j.and_then(|j| self.acceleration[j]).or(first_acceleration))
                .collect(),
            // The distance moved is counted once, at the grid point whose bucket observed the arrival.
            distance: at
                .iter()
                .enumerate()
                .map(|(g, j)| {
                    Some(match j {
                        Some(j) if observed[*j].bucket == g => self.distance[*j],
                        _ => 0.0,
                    })
                })
                .collect(),
        }
    }
}

/// One run's rows of telemetry.run_grid, column by column (the view run_features adds the norms).
pub struct FeatureColumns {
    pub run_uuid: Vec<u64>,
    pub time: Vec<i64>,
    /// fx_1, fx_2, fy_1, fy_2, fz_1, fz_2, x_1, x_2, y_1, y_2, z_1, z_2
    pub values: [Vec<Option<f64>>; SERIES],
    /// vx_1, vy_1, vz_1, vx_2, vy_2, vz_2
    pub velocity: [Vec<Option<f64>>; 6],
    /// ax_1, ay_1, az_1, ax_2, ay_2, az_2
    pub acceleration: [Vec<Option<f64>>; 6],
    pub distance: [Vec<Option<f64>>; 2],
    /// encoder_1, encoder_2, load_cell_1, load_cell_2
    pub filled: [Vec<Option<bool>>; 4],
}

impl FeatureColumns {
    fn with_capacity(len: usize) -> FeatureColumns {
        FeatureColumns {
            run_uuid: Vec::with_capacity(len),
            time: Vec::with_capacity(len),
            values: Default::default(),
            velocity: Default::default(),
            acceleration: Default::default(),
            distance: Default::default(),
            filled: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(time_us: i64, value: f64, file_id: i64, row_number: i64) -> Reading {
        Reading {
            time_us,
            value,
            file_id,
            row_number,
        }
    }

    #[test]
    fn the_first_report_of_an_instant_is_kept_and_later_ones_point_to_it() {
        // Out of order, an older file's report of t=20 arriving last, and three reports of t=30.
        let mut readings = vec![
            reading(30, 3.0, 9, 1),
            reading(10, 1.0, 9, 2),
            reading(20, 2.5, 9, 3),
            reading(30, 3.0, 9, 4),
            reading(30, 3.5, 8, 7),
            reading(20, 2.0, 8, 5),
        ];
        let mut repeats = Vec::new();
        set_repeats_aside(42, 6, &mut readings, &mut repeats);
        let kept: Vec<(i64, i64, i64)> = readings
            .iter()
            .map(|r| (r.time_us, r.file_id, r.row_number))
            .collect();
        assert_eq!(kept, [(10, 9, 2), (20, 8, 5), (30, 8, 7)]);
        let pointers: Vec<(i64, i64, i64, i64, f64)> = repeats
            .iter()
            .map(|r| {
                (
                    r.reading.file_id,
                    r.reading.row_number,
                    r.kept.file_id,
                    r.kept.row_number,
                    r.kept.value,
                )
            })
            .collect();
        assert_eq!(
            pointers,
            [(9, 3, 8, 5, 2.0), (9, 1, 8, 7, 3.5), (9, 4, 8, 7, 3.5)]
        );
        assert!(repeats.iter().all(|r| r.run_uuid == 42 && r.series == 6));
    }

    #[test]
    fn a_spike_leaves_both_neighbours_but_a_steep_ramp_is_no_spike() {
        let series = |values: &[f64]| -> Vec<Reading> {
            values
                .iter()
                .enumerate()
                .map(|(i, v)| reading(i as i64 * 12_000, *v, 1, i as i64 + 1))
                .collect()
        };
        // Encoder: a 40 mm jump and back is a spike (threshold 25 mm); the ends never are.
        assert_eq!(
            spike_flags(true, &series(&[100.0, 100.5, 140.5, 101.0, 101.5])),
            [false, false, true, false, false]
        );
        // A ramp of 30 mm per sample: the value sits at its neighbours' midpoint.
        assert_eq!(
            spike_flags(true, &series(&[0.0, 30.0, 60.0, 90.0])),
            [false; 4]
        );
        // Load cell: 400 N off the midpoint is under its 500 N threshold; 600 N is over.
        assert_eq!(
            spike_flags(false, &series(&[0.0, 400.0, 0.0, 600.0, 0.0])),
            [false, false, false, true, false]
        );
    }

    #[test]
    fn grid_points_take_the_last_observation_and_the_first_before_it() {
        let observed = |bucket: usize| Observed {
            bucket,
            xyz: [bucket as f64; 3],
            offset_us: 0.0,
        };
        let at = as_of(&[observed(2), observed(3), observed(6)], 8);
        assert_eq!(
            at,
            [
                None,
                None,
                Some(0),
                Some(1),
                Some(1),
                Some(1),
                Some(2),
                Some(2)
            ]
        );
        let f = filled(&[observed(2), observed(3), observed(6)], 8);
        assert_eq!(
            f.values[0],
            [2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 6.0, 6.0].map(Some)
        );
        assert_eq!(
            f.filled,
            [true, true, false, false, true, true, false, true].map(Some)
        );
        let absent = filled(&[], 3);
        assert_eq!(absent.values[2], [None; 3]);
        assert_eq!(absent.filled, [None; 3]);
    }

    #[test]
    fn rates_divide_by_the_real_time_between_samples() {
        // 10 ms grid; samples 4 ms into bucket 0, 2 ms into bucket 1, 6 ms into bucket 3.
        let observed = [
            Observed {
                bucket: 0,
                xyz: [0.0, 0.0, 0.0],
                offset_us: 4_000.0,
            },
            Observed {
                bucket: 1,
                xyz: [0.8, 0.0, 0.0],
                offset_us: 2_000.0,
            },
            Observed {
                bucket: 3,
                xyz: [0.8, 2.4, 0.0],
                offset_us: 6_000.0,
            },
        ];
        let k = Kinematics::new(&observed, 10_000);
        // 0.8 mm in 8 ms = 100 mm/s; then 2.4 mm in 24 ms = 100 mm/s along y.
        let v1 = k.velocity[1].expect("velocity");
        let v2 = k.velocity[2].expect("velocity");
        assert!((v1[0] - 100.0).abs() < 1e-9 && v1[1].abs() < 1e-9);
        assert!(v2[0].abs() < 1e-9 && (v2[1] - 100.0).abs() < 1e-9);
        // (v2 - v1) / 24 ms
        let a2 = k.acceleration[2].expect("acceleration");
        assert!((a2[0] + 100.0 / 0.024).abs() < 1e-6 && (a2[1] - 100.0 / 0.024).abs() < 1e-6);
        assert_eq!(k.distance, [0.0, 0.8, 2.4]);
        // On a grid of 5 points: the first velocity is used before it is known; the distance is
        // counted once, where the arrival was observed.
        let rates = k.filled(&observed, 5);
        assert_eq!(rates.velocity[0], k.velocity[1]);
        assert_eq!(rates.velocity[2], k.velocity[1]);
        assert_eq!(rates.acceleration[0], k.acceleration[2]);
        assert_eq!(rates.distance, [0.0, 0.8, 0.0, 2.4, 0.0].map(Some));
    }
}
