//! Reading newline-delimited JSON and CSV (plain or gzip) for SQL, one row per non-blank line, exactly as
//! landed, with its line number (`stream_text_files`). Parquet rows are staged as JSON text into
//! `staged_lines`, so one SQL path types both.
use crate::duck::sql_string;
use crate::duck::stream;
use anyhow::{anyhow, bail, Context, Result};
use duckdb::arrow::array::{ArrayRef, Int32Builder, Int64Builder, StringBuilder};
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::Connection;
use flate2::read::MultiGzDecoder;
use indicatif::ProgressBar;
use std::cell::RefCell;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use xxhash_rust::xxh3::Xxh3;

const BATCH_ROWS: usize = 65_536;
const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Counts bytes read from the file into the progress bar and hashes them (the ledger's content hash),
/// so a new file is read once.
struct Counting<R> {
    inner: R,
    progress: ProgressBar,
    hasher: Rc<RefCell<Xxh3>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.inc(n as u64);
        self.hasher.borrow_mut().update(&buf[..n]);
        Ok(n)
    }
}

/// The columns of `staged_lines`, as the reader thread builds them.
pub fn line_schema() -> Schema {
    Schema::new(vec![
        Field::new("file_id", DataType::Int64, false),
        Field::new("line_no", DataType::Int64, false),
        Field::new("raw", DataType::Utf8, false),
        Field::new("defect", DataType::Utf8, true),
        Field::new("top_level_keys", DataType::Int32, true),
    ])
}

/// Lines for the stream (and `staged_lines`), built column by column.
struct LineBatch {
    file_id: Int64Builder,
    line_no: Int64Builder,
    raw: StringBuilder,
    defect: StringBuilder,
    top_level_keys: Int32Builder,
    count_keys: bool,
    len: usize,
}

impl LineBatch {
    fn new(count_keys: bool) -> Self {
        LineBatch {
            file_id: Int64Builder::with_capacity(BATCH_ROWS),
            line_no: Int64Builder::with_capacity(BATCH_ROWS),
            raw: StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 128),
            defect: StringBuilder::with_capacity(BATCH_ROWS, 0),
            top_level_keys: Int32Builder::with_capacity(BATCH_ROWS),
            count_keys,
            len: 0,
        }
    }

    fn push(&mut self, file_id: i64, line_no: i64, bytes: &[u8]) {
        self.file_id.append_value(file_id);
        self.line_no.append_value(line_no);
        self.top_level_keys
            .append_option(self.count_keys.then(|| top_level_keys(bytes)));
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                self.raw.append_value(text);
                self.defect.append_null();
            }
            Err(_) => {
                self.raw.append_value(String::from_utf8_lossy(bytes));
                self.defect.append_value("line is not valid UTF-8");
            }
        }
        self.len += 1;
    }

    /// The batch so far, in the stream's schema (`line_schema`, which the stream's table function declares).
    fn finish(&mut self) -> Result<RecordBatch> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.file_id.finish()),
            Arc::new(self.line_no.finish()),
            Arc::new(self.raw.finish()),
            Arc::new(self.defect.finish()),
            Arc::new(self.top_level_keys.finish()),
        ];
        self.len = 0;
        RecordBatch::try_new(Arc::new(line_schema()), columns).context("building a staging batch")
    }
}

type Hasher = Rc<RefCell<Xxh3>>;

fn open_text(path: &Path, progress: &ProgressBar) -> Result<(Box<dyn BufRead>, Hasher)> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let hasher = Rc::new(RefCell::new(Xxh3::new()));
    let mut counted = BufReader::with_capacity(
        1 << 20,
        Counting {
            inner: file,
            progress: progress.clone(),
            hasher: hasher.clone(),
        },
    );
    let head = counted
        .fill_buf()
        .with_context(|| format!("cannot read {}", path.display()))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let gz = BufReader::with_capacity(1 << 20, MultiGzDecoder::new(counted));
        Ok((Box::new(gz), hasher))
    } else {
        Ok((Box::new(counted), hasher))
    }
}

/// The number of keys of a line's top-level JSON object: the colons outside strings at nesting depth 1.
/// Exact for valid JSON (0 for anything but an object); meaningless, but harmless, for invalid JSON,
/// which SQL rejects on its own.
fn top_level_keys(bytes: &[u8]) -> i32 {
    let (mut depth, mut keys, mut i) = (0i32, 0i32, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // skip the string: to the next quote that is not escaped
                i += 1;
                while i < bytes.len() {
                    match memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                        Some(at) if bytes[i + at] == b'\\' => i += at + 2,
                        Some(at) => {
                            i += at;
                            break;
                        }
                        None => i = bytes.len(),
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth -= 1,
            b':' if depth == 1 => keys += 1,
            _ => {}
        }
        i += 1;
    }
    keys
}

/// Reads every non-blank line of a text file (plain or gzip) into `batch`, handing full batches to `emit`;
/// returns the xxh3-128 of the file's bytes.
fn read_lines(
    file_id: i64,
    path: &Path,
    progress: &ProgressBar,
    batch: &mut LineBatch,
    emit: &mut dyn FnMut(RecordBatch) -> Result<()>,
) -> Result<String> {
    let (mut reader, hasher) = open_text(path, progress)?;
    let mut buf = Vec::with_capacity(512);
    let (mut line_no, mut staged) = (0i64, 0u64);
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|e| {
            let what = if e.kind() == std::io::ErrorKind::UnexpectedEof
                || e.kind() == std::io::ErrorKind::InvalidInput
            {
                "compressed data is truncated or corrupt"
            } else {
                "cannot be read"
            };
            anyhow!("{}: {what} after line {line_no} ({e})", path.display())
        })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        // A UTF-8 byte-order mark opens the file, not its first line's text.
        if line_no == 1 && buf.starts_with(UTF8_BOM) {
            buf.drain(..UTF8_BOM.len());
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        batch.push(file_id, line_no, &buf);
        staged += 1;
        if batch.len >= BATCH_ROWS {
            emit(batch.finish()?)?;
        }
    }
    if staged == 0 {
        bail!("{}: file is empty (no lines to load)", path.display());
    }
    let digest = hasher.borrow().digest128();
    Ok(format!("{digest:032x}"))
}

/// Reads every non-blank line of the text files (JSON lines, CSV) on a reader thread that splits,
/// decodes and hashes, while `consume` runs SQL reading them from the relation it is given
/// (`batch_stream(token)`: file_id, line_no, raw, defect, top_level_keys) on DuckDB's threads, so both cores work. The
/// relation can be read once, and must be read whole. With `count_keys`, each line's top-level JSON keys
/// are counted (`top_level_keys`; NULL otherwise). Returns each file's content hash.
pub fn stream_text_files(
    files: &[(i64, &Path)],
    bytes: u64,
    count_keys: bool,
    progress: &ProgressBar,
    consume: impl FnOnce(&str) -> Result<()>,
) -> Result<Vec<(i64, String)>> {
    // `bytes` is the files' total size. About one line per 80 bytes: only the order of magnitude matters
    // (to DuckDB's planner).
    let schema = Arc::new(line_schema());
    stream::stream(
        schema,
        bytes / 80 + 1,
        |emit| {
            let mut hashes = Vec::with_capacity(files.len());
            let mut batch = LineBatch::new(count_keys);
            for (file_id, path) in files {
                hashes.push((
                    *file_id,
                    read_lines(*file_id, path, progress, &mut batch, emit)?,
                ));
            }
            if batch.len > 0 {
                emit(batch.finish()?)?;
            }
            Ok(hashes)
        },
        consume,
    )
}

/// Stages every row of a Parquet file as the JSON text of that row; line number = row number.
pub fn stage_parquet_as_json(
    conn: &Connection,
    file_id: i64,
    path: &Path,
    progress: &ProgressBar,
) -> Result<u64> {
    conn.execute_batch(&format!(
        "SET VARIABLE parquet_file = meta.file_pattern({})",
        sql_string(&path.to_string_lossy())
    ))?;
    let sql = format!(
        "INSERT INTO staged_lines
         SELECT {file_id}, p.file_row_number + 1,
                json_merge_patch(to_json(p), '{{\"file_row_number\":null}}')::VARCHAR, NULL, NULL
         FROM read_parquet(getvariable('parquet_file'), file_row_number = true) p"
    );
    let staged = conn
        .execute(&sql, [])
        .map_err(|e| anyhow!("{}: cannot be read as Parquet: {e}", path.display()))?;
    progress.inc(std::fs::metadata(path).map(|m| m.len()).unwrap_or(0));
    if staged == 0 {
        bail!("{}: file is empty (no rows to load)", path.display());
    }
    Ok(staged as u64)
}

#[cfg(test)]
mod tests {
    use super::top_level_keys;

    #[test]
    fn top_level_keys_counts_only_the_outer_objects_keys() {
        let cases: &[(&str, i32)] = &[
            (r#"{"Id":"1","PostId":"2"}"#, 2),
            (r#"{ "Id" : "1" , "PostId" : 2 }"#, 2),
            (r#"{"Id":"a:b","x":{"y":1,"z":[1,{"w":2}]}}"#, 2),
            (r#"{"Id":"say \"a:b\"","k\"ey:":"\\","n":null}"#, 3),
            (r#"{"CreationDate":"2022-01-02T00:00:00.000"}"#, 1),
            (r#"{}"#, 0),
            (r#"[{"a":1},{"b":2}]"#, 0),
            (r#""a:b""#, 0),
            ("12", 0),
        ];
        for (line, keys) in cases {
            assert_eq!(top_level_keys(line.as_bytes()), *keys, "{line}");
        }
    }
}
