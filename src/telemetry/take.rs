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

    /// Appends a chunk's stretches to their runs, under the one lock.
    fn file(&self, stretches: Vec<RunReadings>) -> Result<(), String> {
        let mut runs = self
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

/// One call's input: the columns as slices, and the validity masks of all but the token.
struct Chunk<'a> {
    len: usize,
    tokens: &'a [u64],
    uuids: &'a [u64],
    serieses: &'a [u8],
    times: &'a [i64],
    values: &'a [f64],
    files: &'a [i64],
    rows: &'a [i64],
    /// Of run_uuid, series, time, value, file, row (columns 1 to 6).
    masks: Vec<Option<&'a [u64]>>,
}

impl<'a> Chunk<'a> {
    fn of(input: &'a DataChunkHandle, len: usize) -> Chunk<'a> {
        // SAFETY: DuckDB flattens a C API function's input, and the signature fixes each column's type
        // (UBIGINT, UBIGINT, UTINYINT, BIGINT, DOUBLE, BIGINT, BIGINT); a NULL slot's value is never used.
        // The slices point into DuckDB's vectors, which live for the call, not into the handles.
        unsafe {
            Chunk {
                len,
                tokens: slice(input, 0, len),
                uuids: slice(input, 1, len),
                serieses: slice(input, 2, len),
                times: slice(input, 3, len),
                values: slice(input, 4, len),
                files: slice(input, 5, len),
                rows: slice(input, 6, len),
                masks: (1..7).map(|i| validity(input, i, len)).collect(),
            }
        }
    }

    /// The chunk's readings, in stretches of one run (rows come so), by series, leaving out the excluded
    /// rows; `out` says which rows were taken.
    fn readings(
        &self,
        taken: &Taken,
        out: &mut [bool],
    ) -> Result<Vec<RunReadings>, Box<dyn Error>> {
        let mut stretches: Vec<RunReadings> = Vec::new();
        let mut file_rows_out: Option<(i64, Option<&[u64]>)> = None;
        for i in 0..self.len {
            if !is_valid(self.masks[4], i) || !is_valid(self.masks[5], i) {
                return Err(format!("{FUNCTION}: a row without its file or row number").into());
            }
            let (file_id, row_number) = (self.files[i], self.rows[i]);
            let rows_out = match file_rows_out {
                Some((f, rows_out)) if f == file_id => rows_out,
                _ => taken.excluded.get(&file_id).map(Vec::as_slice),
            };
            file_rows_out = Some((file_id, rows_out));
            if rows_out.is_some_and(|bits| has_row(bits, row_number)) {
                out[i] = false;
                continue;
            }
            if !(0..4).all(|c| is_valid(self.masks[c], i)) {
                return Err(format!(
                    "internal error: row {row_number} of file #{file_id} is neither a reading nor rejected"
                )
                .into());
            }
            if stretches.last().is_none_or(|(u, _)| *u != self.uuids[i]) {
                stretches.push((self.uuids[i], Default::default()));
            }
            if let Some((_, run)) = stretches.last_mut() {
                run[self.serieses[i] as usize % SERIES].push(Reading {
                    time_us: self.times[i],
                    value: self.values[i],
                    file_id,
                    row_number,
                });
            }
            out[i] = true;
        }
        Ok(stretches)
    }
}

/// Column `column` of the chunk as a slice of `len` values of `T`.
///
/// # Safety
/// `T` must be the column's physical type, and the chunk must hold at least `len` rows.
unsafe fn slice<T>(input: &DataChunkHandle, column: usize, len: usize) -> &[T] {
    unsafe {
        let vector = ffi::duckdb_data_chunk_get_vector(input.get_ptr(), column as u64);
        std::slice::from_raw_parts(ffi::duckdb_vector_get_data(vector).cast::<T>(), len)
    }
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
        let chunk = Chunk::of(input, len);
        let token = chunk.tokens[0];
        let taken = registry()
            .lock()
            .map_err(|_| format!("{FUNCTION}: registry poisoned"))?
            .get(&token)
            .cloned()
            .ok_or_else(|| format!("{FUNCTION}: no sweep {token}"))?;
        taken.seen.fetch_add(len as u64, Ordering::Relaxed);
        let stretches = chunk.readings(&taken, out)?;
        taken.file(stretches)?;
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
