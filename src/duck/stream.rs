//! `batch_stream(token)`: a DuckDB table function that hands a producer thread's Arrow batches straight
//! to a SQL statement, which reads them on all of DuckDB's threads as they arrive (the loads' text lines,
//! the telemetry sweep's grid rows). It can be scanned once.
use anyhow::{anyhow, bail, Result};
use duckdb::arrow::array::{Array, AsArray};
use duckdb::arrow::datatypes::{
    DataType, Date32Type, Float64Type, Int32Type, Int64Type, Int8Type, SchemaRef, TimeUnit,
    TimestampMicrosecondType, UInt64Type,
};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::core::{DataChunkHandle, LogicalTypeHandle, LogicalTypeId};
use duckdb::vtab::{
    record_batch_to_duckdb_data_chunk, to_duckdb_logical_type_for_field, BindInfo, InitInfo,
    TableFunctionInfo, VTab,
};
use duckdb::{ffi, Connection};
use std::collections::HashMap;
use std::error::Error;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, OnceLock};

/// The name the table function is registered under.
pub const FUNCTION: &str = "batch_stream";

/// Rows per output chunk (DuckDB's vector size).
const CHUNK_ROWS: usize = 2048;

/// Batches from one producer thread, consumed by one statement.
pub struct Source {
    schema: SchemaRef,
    state: Mutex<SourceState>,
    scanned: AtomicBool,
    /// For the planner (which otherwise takes a table function for small and may build a hash table
    /// of it).
    estimated_rows: u64,
    /// A source that must have been read whole before this one is read (`stream_then`'s second
    /// relation is made of what the first one's producer learnt from all of it).
    gate: Option<Arc<Source>>,
}

struct SourceState {
    receiver: Option<Receiver<Result<RecordBatch>>>,
    current: Option<RecordBatch>,
    offset: usize,
    done: bool,
    /// Every batch was received and the reader ended.
    exhausted: bool,
    /// The reader's error, kept whole for the caller (DuckDB only sees its text).
    error: Option<anyhow::Error>,
}

impl Source {
    /// Takes the next slice of at most one chunk, receiving a new batch when the current one is used up.
    fn next_slice(&self) -> Result<Option<RecordBatch>, String> {
        let mut state = self.state.lock().map_err(|_| "staging source poisoned")?;
        loop {
            if state.done {
                return Ok(None);
            }
            if let Some(batch) = &state.current {
                if state.offset < batch.num_rows() {
                    let len = CHUNK_ROWS.min(batch.num_rows() - state.offset);
                    let slice = batch.slice(state.offset, len);
                    state.offset += len;
                    return Ok(Some(slice));
                }
            }
            let Some(receiver) = &state.receiver else {
                return Ok(None);
            };
            if self.gate.as_ref().is_some_and(|g| !g.exhausted()) {
                state.done = true;
                return Err(format!(
                    "{FUNCTION}: this relation can be read only after the stream it follows was read whole"
                ));
            }
            match receiver.recv() {
                Ok(Ok(batch)) => {
                    state.current = Some(batch);
                    state.offset = 0;
                }
                Ok(Err(err)) => {
                    let text = format!("{err:#}");
                    state.error = Some(err);
                    state.done = true;
                    return Err(text);
                }
                Err(_) => {
                    state.done = true;
                    state.exhausted = true;
                    return Ok(None);
                }
            }
        }
    }

    /// Whether a scan received every batch up to the reader's end.
    pub fn exhausted(&self) -> bool {
        self.state.lock().map(|s| s.exhausted).unwrap_or(false)
    }

    /// Stops receiving (a reader blocked on a full channel then fails its send and ends) and returns
    /// the reader's error, if it stopped with one.
    pub fn close(&self) -> Option<anyhow::Error> {
        let mut state = self.state.lock().ok()?;
        state.receiver = None;
        state.done = true;
        state.error.take()
    }
}

fn registry() -> &'static Mutex<HashMap<u64, Arc<Source>>> {
    static SOURCES: OnceLock<Mutex<HashMap<u64, Arc<Source>>>> = OnceLock::new();
    SOURCES.get_or_init(|| Mutex::new(HashMap::new()))
}

/// A source registered for `batch_stream(token)`; unregistered when dropped.
pub struct Registration {
    pub token: u64,
    pub source: Arc<Source>,
}

impl Registration {
    pub fn new(
        receiver: Receiver<Result<RecordBatch>>,
        schema: SchemaRef,
        estimated_rows: u64,
    ) -> Result<Self> {
        Self::gated(receiver, schema, estimated_rows, None)
    }

    /// A source that can be read only once `gate` was read whole.
    fn gated(
        receiver: Receiver<Result<RecordBatch>>,
        schema: SchemaRef,
        estimated_rows: u64,
        gate: Option<Arc<Source>>,
    ) -> Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let token = NEXT.fetch_add(1, Ordering::Relaxed);
        let source = Arc::new(Source {
            schema,
            state: Mutex::new(SourceState {
                receiver: Some(receiver),
                current: None,
                offset: 0,
                done: false,
                exhausted: false,
                error: None,
            }),
            scanned: AtomicBool::new(false),
            estimated_rows,
            gate,
        });
        registry()
            .lock()
            .map_err(|_| anyhow!("staging registry poisoned"))?
            .insert(token, source.clone());
        Ok(Registration { token, source })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut sources) = registry().lock() {
            sources.remove(&self.token);
        }
    }
}

/// Runs `produce` on its own thread, feeding `batch_stream(token)` with the batches (of `schema`) it
/// emits, while `consume` runs SQL reading the relation it is given, so both cores work. The relation
/// can be read once, and must be read whole. The producer's error is returned whole (the statement
/// fails on its text); `estimated_rows` tells DuckDB's planner the order of magnitude.
pub fn stream<R: Send>(
    schema: SchemaRef,
    estimated_rows: u64,
    produce: impl FnOnce(&mut dyn FnMut(RecordBatch) -> Result<()>) -> Result<R> + Send,
    consume: impl FnOnce(&str) -> Result<()>,
) -> Result<R> {
    let nothing = Arc::new(duckdb::arrow::datatypes::Schema::empty());
    let after = RecordBatch::new_empty(nothing.clone());
    stream_then(
        schema,
        estimated_rows,
        nothing,
        |emit| produce(emit).map(|r| (r, after)),
        |rows, _| consume(rows),
    )
}

/// As `stream`, with a second relation for `consume`: the one batch (of `after_schema`) that `produce`
/// returns when it is done, i.e. what the producer learnt from all the rows. It can be read (once)
/// only after the first relation was read whole; reading it before is an error, not a wait.
pub fn stream_then<R: Send>(
    schema: SchemaRef,
    estimated_rows: u64,
    after_schema: SchemaRef,
    produce: impl FnOnce(&mut dyn FnMut(RecordBatch) -> Result<()>) -> Result<(R, RecordBatch)> + Send,
    consume: impl FnOnce(&str, &str) -> Result<()>,
) -> Result<R> {
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Result<RecordBatch>>(4);
    let registration = Registration::new(receiver, schema, estimated_rows)?;
    // unbounded: the producer never waits on it
    let (after_sender, after_receiver) = std::sync::mpsc::channel::<Result<RecordBatch>>();
    let after = Registration::gated(
        after_receiver,
        after_schema,
        1000,
        Some(registration.source.clone()),
    )?;
    std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let mut emit = |b: RecordBatch| {
                sender
                    .send(Ok(b))
                    .map_err(|_| anyhow!("the statement reading the stream stopped"))
            };
            match produce(&mut emit) {
                Ok((produced, learnt)) => {
                    // sent before `sender` is dropped: once the rows were read whole, it is there
                    let _ = after_sender.send(Ok(learnt));
                    Some(produced)
                }
                Err(err) => {
                    // A send error means the statement stopped and reports its own error.
                    let _ = sender.send(Err(err));
                    None
                }
            }
        });
        let consumed = consume(
            &format!("{FUNCTION}({})", registration.token),
            &format!("{FUNCTION}({})", after.token),
        );
        let exhausted = registration.source.exhausted();
        // Whatever happened, the producer must not wait on a channel nobody reads any more.
        let producer_error = registration.source.close();
        after.source.close();
        drop(registration);
        drop(after);
        let produced = producer
            .join()
            .map_err(|_| anyhow!("the thread feeding {FUNCTION} panicked"))?;
        match (consumed, producer_error, produced) {
            (_, Some(err), _) => Err(err),
            (Err(err), None, _) => Err(err),
            (Ok(()), None, Some(produced)) if exhausted => Ok(produced),
            (Ok(()), None, _) => {
                bail!("internal error: the SQL reading {FUNCTION} did not read every row")
            }
        }
    })
}

/// Registers `batch_stream` on a connection (once per connection).
pub fn register(conn: &Connection) -> Result<()> {
    conn.register_table_function::<BatchStream>(FUNCTION)
        .map_err(|e| anyhow!("registering {FUNCTION}: {e}"))
}

pub struct BatchStream;

pub struct Bound {
    source: Arc<Source>,
}

impl VTab for BatchStream {
    type InitData = ();
    type BindData = Bound;

    fn bind(bind: &BindInfo) -> Result<Bound, Box<dyn Error>> {
        let token = bind.get_parameter(0).to_uint64();
        let source = registry()
            .lock()
            .map_err(|_| "staging registry poisoned")?
            .get(&token)
            .cloned()
            .ok_or_else(|| format!("{FUNCTION}: no staging source {token}"))?;
        bind.set_cardinality(source.estimated_rows, false);
        for field in source.schema.fields() {
            bind.add_result_column(field.name(), to_duckdb_logical_type_for_field(field)?);
        }
        Ok(Bound { source })
    }

    fn init(init: &InitInfo) -> Result<(), Box<dyn Error>> {
        // SAFETY: DuckDB hands init the bind data that `bind` of this function produced.
        let bound = unsafe { &*init.get_bind_data::<Bound>() };
        if bound.source.scanned.swap(true, Ordering::SeqCst) {
            return Err(
                format!("{FUNCTION}: the stream was already read (it can be read once)").into(),
            );
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        init.set_max_threads(threads as u64);
        Ok(())
    }

    fn func(
        func: &TableFunctionInfo<Self>,
        output: &mut DataChunkHandle,
    ) -> Result<(), Box<dyn Error>> {
        let source = &func.get_bind_data().source;
        match source.next_slice()? {
            Some(slice) => write_chunk(&slice, &source.schema, output)?,
            None => output.set_len(0),
        }
        Ok(())
    }

    fn parameters() -> Option<Vec<LogicalTypeHandle>> {
        Some(vec![LogicalTypeHandle::from(LogicalTypeId::UBigint)])
    }
}

/// Writes a slice of at most one chunk into DuckDB's output chunk, column by column: fixed-width values
/// are copied whole and validity masks word by word, and strings are handed over only where not NULL.
/// (The duckdb crate's `record_batch_to_duckdb_data_chunk` goes row by row, with a call into DuckDB for
/// every string, NULL or not, and another for every NULL: most of a typed line's columns are NULL.) A
/// batch with a column of another type goes through the crate's. The batch must be of the schema the
/// columns were bound with (`bound`): DuckDB sized each vector for its bound type.
fn write_chunk(
    batch: &RecordBatch,
    bound: &SchemaRef,
    output: &mut DataChunkHandle,
) -> Result<(), Box<dyn Error>> {
    let types = |s: &SchemaRef| {
        s.fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect::<Vec<_>>()
    };
    if !Arc::ptr_eq(&batch.schema(), bound) && types(&batch.schema()) != types(bound) {
        return Err(format!("{FUNCTION}: a batch of another schema than the stream's").into());
    }
    let copied = |t: &DataType| {
        matches!(
            t,
            DataType::Utf8
                | DataType::Boolean
                | DataType::Int8
                | DataType::Int32
                | DataType::Int64
                | DataType::UInt64
                | DataType::Float64
                | DataType::Date32
                | DataType::Timestamp(TimeUnit::Microsecond, None)
        )
    };
    if batch.num_rows() > CHUNK_ROWS || !batch.columns().iter().all(|c| copied(c.data_type())) {
        return record_batch_to_duckdb_data_chunk(batch, output);
    }
    if batch.num_columns() != output.num_columns() {
        return Err(format!(
            "{FUNCTION}: a batch of {} columns for {}",
            batch.num_columns(),
            output.num_columns()
        )
        .into());
    }
    let chunk = output.get_ptr();
    for (i, column) in batch.columns().iter().enumerate() {
        // SAFETY: the chunk has this column (checked above), of the type bind gave the bound field,
        // which is this column's (checked above), with room for CHUNK_ROWS (DuckDB's vector size) rows.
        unsafe {
            write_column(
                column.as_ref(),
                ffi::duckdb_data_chunk_get_vector(chunk, i as u64),
            )
        };
    }
    output.set_len(batch.num_rows());
    Ok(())
}

/// One column into its DuckDB vector (see `write_chunk`).
///
/// # Safety
/// `vector` is a flat vector of the DuckDB type the duckdb crate gives the array's type, with room for
/// the array's rows.
unsafe fn write_column(array: &dyn Array, vector: ffi::duckdb_vector) {
    let data = ffi::duckdb_vector_get_data(vector);
    let len = array.len();
    match array.data_type() {
        DataType::Utf8 => {
            let strings = array.as_string::<i32>();
            // a NULL row gets an empty string (a zeroed string_t), never what the last chunk left
            let slots = data as *mut [u8; 16];
            for i in 0..len {
                if strings.is_valid(i) {
                    let s = strings.value(i);
                    // (Arrow's strings are UTF-8: DuckDB need not check them again, and a failed
                    // check would leave the row NULL under the validity written below)
                    ffi::duckdb_unsafe_vector_assign_string_element_len(
                        vector,
                        i as u64,
                        s.as_ptr() as *const std::os::raw::c_char,
                        s.len() as u64,
                    );
                } else {
                    *slots.add(i) = [0; 16];
                }
            }
        }
        DataType::Boolean => {
            let values = array.as_boolean().values();
            let bytes = data as *mut bool;
            for (i, v) in values.iter().enumerate() {
                *bytes.add(i) = v;
            }
        }
        DataType::Int8 => copy_values(array.as_primitive::<Int8Type>().values(), data),
        DataType::Int32 => copy_values(array.as_primitive::<Int32Type>().values(), data),
        DataType::Date32 => copy_values(array.as_primitive::<Date32Type>().values(), data),
        DataType::Int64 => copy_values(array.as_primitive::<Int64Type>().values(), data),
        DataType::UInt64 => copy_values(array.as_primitive::<UInt64Type>().values(), data),
        DataType::Float64 => copy_values(array.as_primitive::<Float64Type>().values(), data),
        DataType::Timestamp(TimeUnit::Microsecond, None) => copy_values(
            array.as_primitive::<TimestampMicrosecondType>().values(),
            data,
        ),
        other => unreachable!("write_chunk takes no {other} column"),
    }
    let words = len.div_ceil(64);
    match array.nulls().filter(|n| n.null_count() > 0) {
        Some(nulls) => {
            ffi::duckdb_vector_ensure_validity_writable(vector);
            let mask = ffi::duckdb_vector_get_validity(vector);
            for (w, word) in nulls
                .inner()
                .bit_chunks()
                .iter_padded()
                .take(words)
                .enumerate()
            {
                *mask.add(w) = word;
            }
        }
        None => {
            // DuckDB resets the chunk before each call, so there should be no mask here; should one be
            // left, it is made all valid
            let mask = ffi::duckdb_vector_get_validity(vector);
            if !mask.is_null() {
                std::ptr::write_bytes(mask, 0xff, words);
            }
        }
    }
}

/// The values as they lie in memory, into a vector's data (DuckDB's layout for these types is Arrow's).
///
/// # Safety
/// `data` has room for `values.len()` values of `T`.
unsafe fn copy_values<T: Copy>(values: &[T], data: *mut std::ffi::c_void) {
    std::ptr::copy_nonoverlapping(values.as_ptr(), data as *mut T, values.len());
}

#[cfg(test)]
mod tests {
    use super::*;
    use duckdb::arrow::array::{ArrayRef, Int32Array, Int64Array, StringArray};

    fn batch(first_line: i64, texts: &[&str]) -> RecordBatch {
        let n = texts.len() as i64;
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("file_id", Arc::new(Int64Array::from(vec![7; texts.len()]))),
            (
                "line_no",
                Arc::new(Int64Array::from_iter_values(first_line..first_line + n)),
            ),
            ("raw", Arc::new(StringArray::from(texts.to_vec()))),
            (
                "defect",
                Arc::new(StringArray::from(vec![None::<&str>; texts.len()])),
            ),
            (
                "top_level_keys",
                Arc::new(Int32Array::from(vec![None; texts.len()])),
            ),
        ];
        RecordBatch::try_from_iter(columns).unwrap()
    }

    fn connection() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        conn
    }

    /// `SELECT count(*)` over the stream of this token.
    fn count_rows(conn: &Connection, token: u64) -> duckdb::Result<i64> {
        conn.query_row(
            &format!("SELECT count(*) FROM {FUNCTION}({token})"),
            [],
            |r| r.get::<_, i64>(0),
        )
    }

    #[test]
    fn every_row_of_every_batch_arrives_once_and_a_second_scan_is_refused() {
        let conn = connection();
        let (sender, receiver) = std::sync::mpsc::sync_channel(2);
        let registration = Registration::new(receiver, batch(1, &[]).schema(), 10_000).unwrap();
        let texts: Vec<String> = (0..5000).map(|i| format!("line {i}")).collect();
        let producer = std::thread::spawn(move || {
            for chunk in texts.chunks(1500).enumerate() {
                let refs: Vec<&str> = chunk.1.iter().map(String::as_str).collect();
                sender
                    .send(Ok(batch(1 + 1500 * chunk.0 as i64, &refs)))
                    .unwrap();
            }
        });
        let (rows, lines, distinct): (i64, i64, i64) = conn
            .query_row(
                &format!(
                    "SELECT count(*), sum(line_no), count(DISTINCT raw) FROM {FUNCTION}({})",
                    registration.token
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        producer.join().unwrap();
        assert_eq!((rows, lines, distinct), (5000, 5000 * 5001 / 2, 5000));
        assert!(registration.source.exhausted());
        let again = count_rows(&conn, registration.token).unwrap_err();
        assert!(again.to_string().contains("already read"), "{again}");
    }

    #[test]
    fn the_readers_error_stops_the_statement_and_is_kept_whole() {
        let conn = connection();
        let (sender, receiver) = std::sync::mpsc::sync_channel(2);
        let registration = Registration::new(receiver, batch(1, &[]).schema(), 10).unwrap();
        sender.send(Ok(batch(1, &["a", "b"]))).unwrap();
        sender
            .send(Err(anyhow!("votes.jsonl.gz: compressed data is truncated")))
            .unwrap();
        let failed = count_rows(&conn, registration.token).unwrap_err();
        assert!(failed.to_string().contains("truncated"), "{failed}");
        let kept = registration.source.close().expect("the reader's error");
        assert_eq!(
            kept.to_string(),
            "votes.jsonl.gz: compressed data is truncated"
        );
        assert!(!registration.source.exhausted());
    }

    #[test]
    fn the_second_relation_is_read_after_the_first_not_before() {
        use duckdb::arrow::array::UInt64Array;
        use duckdb::arrow::datatypes::{DataType, Field, Schema};
        let learnt = Arc::new(Schema::new(vec![Field::new(
            "key",
            DataType::UInt64,
            false,
        )]));
        let run = |first_the_rows: bool| {
            let conn = connection();
            let learnt = learnt.clone();
            let mut seen = (0i64, 0u64);
            let result = stream_then(
                batch(1, &[]).schema(),
                10,
                learnt.clone(),
                |emit| {
                    emit(batch(1, &["a", "b", "c"]))?;
                    let keys = UInt64Array::from(vec![7u64, 9]);
                    Ok(((), RecordBatch::try_new(learnt, vec![Arc::new(keys)])?))
                },
                |rows, after| {
                    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0));
                    if first_the_rows {
                        seen.0 = count(&format!("SELECT count(*) FROM {rows}"))?;
                        seen.1 = count(&format!("SELECT sum(key)::BIGINT FROM {after}"))? as u64;
                        Ok(())
                    } else {
                        count(&format!("SELECT count(*) FROM {after}"))?;
                        count(&format!("SELECT count(*) FROM {rows}"))?;
                        Ok(())
                    }
                },
            );
            (result, seen)
        };
        let (read, seen) = run(true);
        read.unwrap();
        assert_eq!(seen, (3, 16));
        let (early, _) = run(false);
        let err = early.unwrap_err().to_string();
        assert!(
            err.contains("only after the stream it follows was read whole"),
            "{err}"
        );
    }

    /// Every type `write_chunk` copies itself arrives as it was sent, NULLs where they were, over
    /// several chunks and from a batch that is itself a slice (its validity bits start mid-byte).
    #[test]
    fn values_and_nulls_of_every_copied_type_arrive_as_sent() {
        use duckdb::arrow::array::{
            BooleanArray, Date32Array, Float64Array, Int8Array, StringArray,
            TimestampMicrosecondArray, UInt64Array,
        };
        let n = 5000;
        let some = |i: usize, every: usize| !i.is_multiple_of(every);
        let text = |i: usize| format!("line {i} {}", "x".repeat(i % 20));
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("id", Arc::new(Int64Array::from_iter_values(0..n as i64))),
            (
                "b",
                Arc::new(
                    (0..n)
                        .map(|i| some(i, 3).then_some(i % 2 == 0))
                        .collect::<BooleanArray>(),
                ),
            ),
            (
                "i8",
                Arc::new(
                    (0..n)
                        .map(|i| some(i, 4).then_some((i % 100) as i8))
                        .collect::<Int8Array>(),
                ),
            ),
            (
                "i32",
                Arc::new(
                    (0..n)
                        .map(|i| some(i, 5).then_some(i as i32 * 7))
                        .collect::<Int32Array>(),
                ),
            ),
            (
                "u64",
                Arc::new(
                    (0..n)
                        .map(|i| some(i, 6).then_some(u64::MAX - i as u64))
                        .collect::<UInt64Array>(),
                ),
            ),
            (
                "f64",
                Arc::new(
                    (0..n)
                        .map(|i| some(i, 7).then_some(i as f64 / 8.0))
                        .collect::<Float64Array>(),
                ),
            ),
            (
                "d",
                Arc::new(
                    (0..n)
                        .map(|i| some(i, 8).then_some(i as i32))
                        .collect::<Date32Array>(),
                ),
            ),
            (
                "ts",
                Arc::new(
                    (0..n)
                        .map(|i| some(i, 9).then_some(i as i64 * 1_000_000))
                        .collect::<TimestampMicrosecondArray>(),
                ),
            ),
            (
                "s",
                Arc::new(
                    (0..n)
                        .map(|i| some(i, 10).then(|| text(i)))
                        .collect::<StringArray>(),
                ),
            ),
            ("none", Arc::new(StringArray::from(vec![None::<&str>; n]))),
        ];
        let whole = RecordBatch::try_from_iter(columns).unwrap();
        let sent = whole.slice(3, n - 3);
        let conn = connection();
        let (sender, receiver) = std::sync::mpsc::sync_channel(2);
        let registration = Registration::new(receiver, sent.schema(), n as u64).unwrap();
        sender.send(Ok(sent)).unwrap();
        drop(sender);
        let mut stmt = conn
            .prepare(&format!(
                "SELECT id, b, i8, i32, u64::VARCHAR, f64, d::VARCHAR, ts::VARCHAR, s, none
                 FROM {FUNCTION}({}) ORDER BY id",
                registration.token
            ))
            .unwrap();
        let rows: Vec<String> = stmt
            .query_map([], |r| {
                Ok(format!(
                    "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<bool>>(1)?,
                    r.get::<_, Option<i8>>(2)?,
                    r.get::<_, Option<i32>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<f64>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let date = |i: usize| {
            let day =
                chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Days::new(i as u64);
            day.format("%Y-%m-%d").to_string()
        };
        let time = |i: usize| {
            let t = chrono::DateTime::from_timestamp(i as i64, 0)
                .unwrap()
                .naive_utc();
            t.format("%Y-%m-%d %H:%M:%S").to_string()
        };
        let expected: Vec<String> = (3..n)
            .map(|i| {
                format!(
                    "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                    i as i64,
                    some(i, 3).then_some(i % 2 == 0),
                    some(i, 4).then_some((i % 100) as i8),
                    some(i, 5).then_some(i as i32 * 7),
                    some(i, 6).then(|| (u64::MAX - i as u64).to_string()),
                    some(i, 7).then_some(i as f64 / 8.0),
                    some(i, 8).then(|| date(i)),
                    some(i, 9).then(|| time(i)),
                    some(i, 10).then(|| text(i)),
                    None::<String>,
                )
            })
            .collect();
        assert_eq!(rows.len(), expected.len());
        for (got, want) in rows.iter().zip(&expected) {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn a_batch_of_another_schema_than_the_streams_is_an_error() {
        let conn = connection();
        let (sender, receiver) = std::sync::mpsc::sync_channel(2);
        let registration = Registration::new(receiver, batch(1, &[]).schema(), 10).unwrap();
        let other = RecordBatch::try_from_iter([(
            "file_id",
            Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef,
        )])
        .unwrap();
        sender.send(Ok(other)).unwrap();
        drop(sender);
        let err = count_rows(&conn, registration.token).unwrap_err();
        assert!(err.to_string().contains("another schema"), "{err}");
    }

    #[test]
    fn an_unknown_token_is_an_error_not_an_empty_table() {
        let conn = connection();
        let err = count_rows(&conn, 999_999).unwrap_err();
        assert!(err.to_string().contains("no staging source"), "{err}");
    }
}
