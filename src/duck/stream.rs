//! `batch_stream(token)`: a DuckDB table function that hands a producer thread's Arrow batches straight
//! to a SQL statement, which reads them on all of DuckDB's threads as they arrive (the loads' text lines,
//! the telemetry sweep's grid rows). It can be scanned once.
use anyhow::{anyhow, bail, Result};
use duckdb::arrow::datatypes::SchemaRef;
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::core::{DataChunkHandle, LogicalTypeHandle, LogicalTypeId};
use duckdb::vtab::{
    record_batch_to_duckdb_data_chunk, to_duckdb_logical_type_for_field, BindInfo, InitInfo,
    TableFunctionInfo, VTab,
};
use duckdb::Connection;
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
        match func.get_bind_data().source.next_slice()? {
            Some(slice) => record_batch_to_duckdb_data_chunk(&slice, output)?,
            None => output.set_len(0),
        }
        Ok(())
    }

    fn parameters() -> Option<Vec<LogicalTypeHandle>> {
        Some(vec![LogicalTypeHandle::from(LogicalTypeId::UBigint)])
    }
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

    #[test]
    fn an_unknown_token_is_an_error_not_an_empty_table() {
        let conn = connection();
        let err = count_rows(&conn, 999_999).unwrap_err();
        assert!(err.to_string().contains("no staging source"), "{err}");
    }
}
