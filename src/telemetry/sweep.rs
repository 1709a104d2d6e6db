//! The telemetry sweep: stage 4 and the per-series facts, for the runs `derive_runs.sql` picked.
//!
//! The work on one run is in `grid.rs`: sort each series (run, robot, field) by time,
//! set repeats aside, flag spikes against the neighbours, average into grid buckets, carry values
//! forward and back, differentiate. In SQL each of those orderings is a sort or an as-of join over all
//! readings; here it is one pass over data that arrives nearly sorted, one run per core (the figures are
//! in BENCHMARKS.md, robot telemetry). This file reads the runs' readings from the warehouse, hands them
//! to `grid.rs` a few runs at a time, and streams what comes back into the warehouse.
//! SQL still says what goes in (`sweep_readings.sql`) and what the results mean (`derive.sql`), and the
//! cleaning rules stay in `sql/views/_macros/telemetry_rules.sql`; the spike rule and the grid are in `grid.rs`.
use super::grid::{field_of, is_encoder, robot_of, sweep_run, FeatureColumns, Swept, SERIES};
use super::take::{self, Listed, RunReadings, Taken};
use crate::duck::sqlfiles;
use crate::duck::warehouse::Warehouse;
use crate::duck::{stream, timed};
use anyhow::{anyhow, bail, Context, Result};
use arrow::array::{ArrayRef, BooleanArray, Float64Array, TimestampMicrosecondArray, UInt64Array};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use duckdb::params;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Reads the runs in `changed_runs` and `touched_runs`, writes the repeats of all and the derived rows
/// of the changed ones; `derive.sql` takes it from there.
pub fn sweep(wh: &Warehouse) -> Result<()> {
    let grid_us: i64 = wh.scalar("SELECT getvariable('grid_us')")?;
    let changed: HashSet<u64> = wh
        .conn
        .prepare("SELECT run_uuid FROM changed_runs")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()
        .context("reading changed_runs")?;
    let mut runs = timed("sweep: read", || read_runs(wh))
        .context("reading the readings of the runs to derive")?;
    let grid_rows: u64 = runs
        .iter()
        .filter(|(uuid, _)| changed.contains(uuid))
        .map(|(_, series)| series.iter().map(Vec::len).sum::<usize>() as u64 / 10)
        .sum();
    // A few runs at a time on all cores; their grid rows go to SQL as they are made (the INSERT
    // compresses them on DuckDB's threads), the rest is kept for the appenders.
    const RUNS_PER_ROUND: usize = 16;
    let schema = run_grid_schema(wh)?;
    let rest = stream::stream(
        schema.clone(),
        grid_rows + 1,
        |emit| {
            let mut rest = Vec::new();
            while !runs.is_empty() {
                let mut round: Vec<RunReadings> =
                    runs.drain(..RUNS_PER_ROUND.min(runs.len())).collect();
                let swept = sweep_round(&mut round, &changed, grid_us)?;
                drop(round);
                for mut run in swept {
                    if let Some(features) = run.features.take() {
                        emit(into_batch(features?, &schema)?)?;
                    }
                    rest.push(run);
                }
            }
            Ok(rest)
        },
        |features| {
            timed("sweep: features", || {
                wh.execute(&format!(
                    "INSERT INTO telemetry.run_grid SELECT * FROM {features}"
                ))
            })
        },
    )?;
    timed("sweep: write", || write(wh, rest)).context("writing the derived rows")
}

/// Every reading of the runs to derive, grouped by run and series, runs in run_uuid order: DuckDB
/// hands them to `sweep_take` (take.rs) on its threads as it scans them.
fn read_runs(wh: &Warehouse) -> Result<Vec<RunReadings>> {
    let taken = Arc::new(Taken::new(excluded(wh)?));
    take::register(&wh.conn)?;
    let listed = Listed::new(taken.clone());
    let readings = sqlfiles::get("datasets/telemetry/sweep_readings.sql")?;
    // Every row of the query, and those the function took: DuckDB must have handed it every row once.
    let (rows, taken_rows): (i64, i64) = wh.conn.query_row(
        &format!(
            "SELECT count(*), count(*) FILTER (WHERE {}({}, run_uuid, series, time_us, value, source_file_id, row_number))
             FROM ({readings}\n)",
            take::FUNCTION,
            listed.token
        ),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    drop(listed);
    let taken = Arc::into_inner(taken)
        .ok_or_else(|| anyhow!("internal error: the sweep's readings are still shared"))?;
    if taken.seen() != rows as u64 {
        bail!(
            "internal error: the sweep was handed {} of the {rows} rows of its query",
            taken.seen()
        );
    }
    let runs = taken.into_runs();
    let filed: usize = runs
        .iter()
        .map(|(_, series)| series.iter().map(Vec::len).sum::<usize>())
        .sum();
    if filed as i64 != taken_rows {
        bail!("internal error: the sweep took {taken_rows} readings but filed {filed}");
    }
    Ok(runs)
}

/// The rows the sweep skips (`sweep_excluded.sql`), as a bit per row number for each file.
fn excluded(wh: &Warehouse) -> Result<HashMap<i64, Vec<u64>>> {
    let sql = sqlfiles::get("datasets/telemetry/sweep_excluded.sql")?;
    let mut files: HashMap<i64, Vec<u64>> = HashMap::new();
    let mut stmt = wh.conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (file_id, row): (i64, i64) = (r.get(0)?, r.get(1)?);
        let bits = files.entry(file_id).or_default();
        let word = (row.max(0) / 64) as usize;
        if bits.len() <= word {
            bits.resize(word + 1, 0);
        }
        bits[word] |= 1 << (row.max(0) % 64);
    }
    Ok(files)
}

/// Sweeps the runs on all cores, each taking the next run when it is done with one.
fn sweep_round(
    round: &mut [RunReadings],
    changed: &HashSet<u64>,
    grid_us: i64,
) -> Result<Vec<Swept>> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let queue = Mutex::new(round.iter_mut());
    let parts: Vec<std::thread::Result<Vec<Swept>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.min(round_len(&queue)))
            .map(|_| {
                scope.spawn(|| {
                    let mut swept = Vec::new();
                    while let Some((run_uuid, series)) =
                        queue.lock().ok().and_then(|mut q| q.next())
                    {
                        let derive = changed.contains(run_uuid);
                        swept.push(sweep_run(*run_uuid, series, derive.then_some(grid_us)));
                    }
                    swept
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    let mut swept = Vec::new();
    for part in parts {
        swept.extend(part.map_err(|_| anyhow!("a sweep thread panicked"))?);
    }
    Ok(swept)
}

fn round_len<T>(queue: &Mutex<std::slice::IterMut<'_, T>>) -> usize {
    queue.lock().map_or(1, |q| q.len())
}

/// The names of run_grid's columns, as `FeatureColumns` holds them.
const VALUE_COLUMNS: [&str; SERIES] = [
    "fx_1", "fx_2", "fy_1", "fy_2", "fz_1", "fz_2", "x_1", "x_2", "y_1", "y_2", "z_1", "z_2",
];
const VELOCITY_COLUMNS: [&str; 6] = ["vx_1", "vy_1", "vz_1", "vx_2", "vy_2", "vz_2"];
const ACCELERATION_COLUMNS: [&str; 6] = ["ax_1", "ay_1", "az_1", "ax_2", "ay_2", "az_2"];
const DISTANCE_COLUMNS: [&str; 2] = ["d1", "d2"];
const FILLED_COLUMNS: [&str; 4] = [
    "encoder_1_filled",
    "encoder_2_filled",
    "load_cell_1_filled",
    "load_cell_2_filled",
];

/// telemetry.run_grid's columns as the warehouse declares them (sql/migrations), in Arrow's terms: the
/// table is the one declaration of its columns, their order and types.
fn run_grid_schema(wh: &Warehouse) -> Result<SchemaRef> {
    let mut stmt = wh
        .conn
        .prepare("SELECT * FROM telemetry.run_grid LIMIT 0")
        .context("reading telemetry.run_grid's columns")?;
    Ok(stmt.query_arrow([])?.get_schema())
}

/// One run's grid rows as a batch of run_grid's columns (`schema`, from the warehouse): each column the
/// sweep computes goes to the table's column of that name. A column on one side only is an error.
fn into_batch(f: FeatureColumns, schema: &SchemaRef) -> Result<RecordBatch> {
    let doubles_named = VALUE_COLUMNS
        .iter()
        .zip(f.values)
        .chain(VELOCITY_COLUMNS.iter().zip(f.velocity))
        .chain(ACCELERATION_COLUMNS.iter().zip(f.acceleration))
        .chain(DISTANCE_COLUMNS.iter().zip(f.distance))
        .map(|(name, column)| (*name, doubles(column)));
    let mut computed: HashMap<&str, ArrayRef> = [
        (
            "run_uuid",
            Arc::new(UInt64Array::from(f.run_uuid)) as ArrayRef,
        ),
        ("time", Arc::new(TimestampMicrosecondArray::from(f.time))),
    ]
    .into_iter()
    .chain(doubles_named)
    .chain(
        FILLED_COLUMNS
            .iter()
            .zip(f.filled)
            .map(|(name, c)| (*name, Arc::new(BooleanArray::from(c)) as ArrayRef)),
    )
    .collect();
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            computed.remove(field.name().as_str()).with_context(|| {
                format!(
                    "telemetry.run_grid has a column {} that the sweep does not compute",
                    field.name()
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if let Some(name) = computed.keys().next() {
        bail!("the sweep computes {name}, which telemetry.run_grid does not have");
    }
    RecordBatch::try_new(schema.clone(), columns).context("building run_grid's rows")
}

/// A column of doubles; without a validity buffer when it has no NULL (the usual case), which DuckDB
/// then takes as a plain copy.
fn doubles(column: Vec<Option<f64>>) -> ArrayRef {
    if column.iter().all(Option::is_some) {
        Arc::new(Float64Array::from(
            column.into_iter().flatten().collect::<Vec<f64>>(),
        ))
    } else {
        Arc::new(Float64Array::from(column))
    }
}

fn write(wh: &Warehouse, swept: Vec<Swept>) -> Result<()> {
    let mut spikes = wh.conn.appender_to_db("reading_spikes", "telemetry")?;
    let mut series = wh.conn.appender("swept_series")?;
    let mut repeats = wh.conn.appender("repeated_readings")?;
    for run in swept {
        for (run_uuid, file_id, row_number) in run.spikes {
            spikes.append_row(params![run_uuid, file_id, row_number])?;
        }
        for s in run.series {
            series.append_row(params![
                s.run_uuid,
                robot_of(s.series),
                if is_encoder(s.series) {
                    "encoder"
                } else {
                    "load_cell"
                },
                field_of(s.series),
                s.readings,
                s.spikes,
                s.first_us,
                s.last_us,
                s.longest_gap_us
            ])?;
        }
        for r in run.repeats {
            repeats.append_row(params![
                r.reading.file_id,
                r.reading.row_number,
                r.run_uuid,
                robot_of(r.series),
                field_of(r.series),
                r.reading.time_us,
                r.reading.value,
                r.kept.file_id,
                r.kept.row_number,
                r.kept.value
            ])?;
        }
    }
    spikes.flush()?;
    series.flush()?;
    repeats.flush()?;
    Ok(())
}
