//! `sweep_take(token, run_uuid, series, time_us, value, file_id, row_number)`: a scalar function through
//! which DuckDB hands the sweep its readings chunk by chunk, on all of its threads, straight from the
//! scan of `sweep_readings.sql`. (Read as an Arrow result, the same rows were converted on one thread:
//! 0.8 s of the 1.1 s it took to read 20M readings.) Each call files its chunk's readings by run and
//! series under one lock; the order they arrive in does not matter, as the sweep sorts each series by
//! time, file and row.
use super::grid::{Reading, SERIES};
use duckdb::core::{DataChunkHandle, LogicalTypeHandle, LogicalTypeId};
use duckdb::vscalar::{ScalarFunctionSignature, VScalar};
use duckdb::vtab::arrow::WritableVector;
use duckdb::{ffi, Connection};
use std::collections::HashMap;
use std::error::Error;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The name the function is registered under.
pub const FUNCTION: &str = "sweep_take";

/// A run and its readings, by series.
pub type RunReadings = (u64, [Vec<Reading>; SERIES]);

/// The readings of one sweep as they arrive, and the rows to leave out (rejected, or known repeats).
pub struct Taken {
    excluded: HashMap<i64, Vec<u64>>,
    runs: Mutex<Runs>,
    /// Rows handed to the function, taken or not: the caller checks them against the rows the query saw.
    seen: AtomicU64,
}

#[derive(Default)]
struct Runs {
    runs: Vec<RunReadings>,
    /// Where each run is in `runs`.
    at: HashMap<u64, usize>,
}

impl Taken {
    /// `excluded`: for each file id, a bit per row number (bit `n % 64` of word `n / 64`).
    pub fn new(excluded: HashMap<i64, Vec<u64>>) -> Taken {
        Taken {
            excluded,
            runs: Mutex::new(Runs::default()),
            seen: AtomicU64::new(0),
        }
    }

    /// How many rows the function was handed.
    pub fn seen(&self) -> u64 {
        self.seen.load(Ordering::Relaxed)
    }

    /// The readings taken, by run, runs in run_uuid order.
    pub fn into_runs(self) -> Vec<RunReadings> {
        let mut runs = self
            .runs
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .runs;
        runs.sort_unstable_by_key(|(uuid, _)| *uuid);
        runs
    }
}

/// The validity mask of the chunk's column `column`: None when every row is valid.
fn validity(input: &DataChunkHandle, column: usize, len: usize) -> Option<&[u64]> {
    // SAFETY: the chunk has the column (the signature's), and a vector's validity mask, when there is
    // one, holds a bit for each of its rows, in 64-bit words.
    unsafe {
        let vector = ffi::duckdb_data_chunk_get_vector(input.get_ptr(), column as u64);
        let mask = ffi::duckdb_vector_get_validity(vector);
        (!mask.is_null()).then(|| std::slice::from_raw_parts(mask, len.div_ceil(64)))
    }
}

fn is_valid(mask: Option<&[u64]>, row: usize) -> bool {
    mask.is_none_or(|words| words[row / 64] >> (row % 64) & 1 == 1)
}

/// Whether a file's bits of excluded rows have `row`.
fn has_row(bits: &[u64], row: i64) -> bool {
    let row = row.max(0) as u64;
    bits.get((row / 64) as usize)
        .is_some_and(|word| word & (1 << (row % 64)) != 0)
}

/// A sweep's readings, under the token the SQL passes as the first argument.
fn registry() -> &'static Mutex<HashMap<u64, Arc<Taken>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<u64, Arc<Taken>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Lists `taken` for `sweep_take(token, ...)` until the guard is dropped.
pub struct Listed {
    pub token: u64,
}

impl Listed {
    pub fn new(taken: Arc<Taken>) -> Listed {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let token = NEXT.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut map) = registry().lock() {
            map.insert(token, taken);
        }
        Listed { token }
    }
}

impl Drop for Listed {
    fn drop(&mut self) {
        if let Ok(mut map) = registry().lock() {
            map.remove(&self.token);
        }
    }
}

/// Registers the function in the connection's database (again: DuckDB replaces it).
pub fn register(conn: &Connection) -> anyhow::Result<()> {
    conn.register_scalar_function::<SweepTake>(FUNCTION)
        .map_err(|e| anyhow::anyhow!("registering {FUNCTION}: {e}"))
}

pub struct SweepTake;

impl VScalar for SweepTake {
    type State = ();

    fn invoke(
        _: &(),
        input: &mut DataChunkHandle,
        output: &mut dyn WritableVector,
    ) -> Result<(), Box<dyn Error>> {
        let len = input.len();
        let mut out = output.flat_vector();
        // SAFETY: the output is BOOLEAN (one byte a row) and sized for the chunk's rows; its bytes are
        // set to false before they are read as bools.
        let out = unsafe {
            std::ptr::write_bytes(out.as_mut_ptr::<u8>(), 0, len);
            out.as_mut_slice_with_len::<bool>(len)
        };
        if len == 0 {
            return Ok(());
        }
        let column = |i: usize| input.flat_vector(i);
        let (token, uuid, series, time, value, file, row) = (
            column(0),
            column(1),
            column(2),
            column(3),
            column(4),
            column(5),
            column(6),
        );
        // SAFETY: DuckDB flattens a C API function's input, and the signature fixes each column's type
        // (UBIGINT, UBIGINT, UTINYINT, BIGINT, DOUBLE, BIGINT, BIGINT); a NULL slot's value is never used.
        let (tokens, uuids, serieses, times, values, files, rows) = unsafe {
            (
                token.as_slice_with_len::<u64>(len),
                uuid.as_slice_with_len::<u64>(len),
                series.as_slice_with_len::<u8>(len),
                time.as_slice_with_len::<i64>(len),
                value.as_slice_with_len::<f64>(len),
                file.as_slice_with_len::<i64>(len),
                row.as_slice_with_len::<i64>(len),
            )
        };
        let masks: Vec<Option<&[u64]>> = (1..7).map(|i| validity(input, i, len)).collect();
        let taken = registry()
            .lock()
            .map_err(|_| format!("{FUNCTION}: registry poisoned"))?
            .get(&tokens[0])
            .cloned()
            .ok_or_else(|| format!("{FUNCTION}: no sweep {}", tokens[0]))?;
        taken.seen.fetch_add(len as u64, Ordering::Relaxed);
        // Outside the lock: the chunk's readings, in stretches of one run (rows come so), by series.
        let mut stretches: Vec<RunReadings> = Vec::new();
        let mut file_rows_out: Option<(i64, Option<&[u64]>)> = None;
        for i in 0..len {
            if !is_valid(masks[4], i) || !is_valid(masks[5], i) {
                return Err(format!("{FUNCTION}: a row without its file or row number").into());
            }
            let (file_id, row_number) = (files[i], rows[i]);
            let rows_out = match file_rows_out {
                Some((f, rows_out)) if f == file_id => rows_out,
                _ => taken.excluded.get(&file_id).map(Vec::as_slice),
            };
            file_rows_out = Some((file_id, rows_out));
            if rows_out.is_some_and(|bits| has_row(bits, row_number)) {
                out[i] = false;
                continue;
            }
            if !(0..4).all(|c| is_valid(masks[c], i)) {
                return Err(format!(
                    "internal error: row {row_number} of file #{file_id} is neither a reading nor rejected"
                )
                .into());
            }
            if stretches.last().is_none_or(|(u, _)| *u != uuids[i]) {
                stretches.push((uuids[i], Default::default()));
            }
            if let Some((_, run)) = stretches.last_mut() {
                run[serieses[i] as usize % SERIES].push(Reading {
                    time_us: times[i],
                    value: values[i],
                    file_id,
                    row_number,
                });
            }
            out[i] = true;
        }
        let mut runs = taken
            .runs
            .lock()
            .map_err(|_| format!("{FUNCTION}: readings poisoned"))?;
        let Runs { runs, at } = &mut *runs;
        for (run_uuid, stretch) in stretches {
            let run = *at.entry(run_uuid).or_insert_with(|| {
                runs.push((run_uuid, Default::default()));
                runs.len() - 1
            });
            for (all, these) in runs[run].1.iter_mut().zip(stretch) {
                all.extend_from_slice(&these);
            }
        }
        Ok(())
    }

    fn signatures() -> Vec<ScalarFunctionSignature> {
        use LogicalTypeId::*;
        vec![ScalarFunctionSignature::exact(
            [UBigint, UBigint, UTinyint, Bigint, Double, Bigint, Bigint]
                .into_iter()
                .map(LogicalTypeHandle::from)
                .collect(),
            LogicalTypeHandle::from(Boolean),
        )]
    }
}
