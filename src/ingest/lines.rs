//! Reading newline-delimited JSON and CSV (plain or gzip) for SQL, one row per non-blank line, exactly as
//! landed, with its line number (`stream_text_files`). Parquet rows are staged as JSON text into
//! `staged_lines`, so one SQL path types both. The files' bytes come in numbered blocks from
//! `blocks.rs`; this module types their lines and hands them to DuckDB.
use super::blocks::{is_blank, read_blocks, send_kept, Block, UTF8_BOM};
use super::claims::Claims;
use crate::duck::sql_string;
use crate::duck::stream;
use anyhow::{anyhow, bail, Context, Result};
use duckdb::arrow::array::{
    ArrayRef, BooleanArray, Int32Builder, Int64Array, Int64Builder, StringBuilder, UInt64Array,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::Connection;
use indicatif::ProgressBar;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};

const BATCH_ROWS: usize = 65_536;

/// The columns of `staged_lines`, as the readers build them (then a `LineTyper`'s, if any).
fn line_fields() -> Vec<Field> {
    vec![
        Field::new("file_id", DataType::Int64, false),
        Field::new("line_no", DataType::Int64, false),
        // NULL only for a line typed by a `LineTyper` that does not send typed lines' text
        Field::new("raw", DataType::Utf8, true),
        Field::new("defect", DataType::Utf8, true),
        Field::new("top_level_keys", DataType::Int32, true),
    ]
}

/// A dataset's shortcut for its plainest lines (`plain_json`): the reader types them into columns of
/// its own, added to the stream after `line_fields` (all nullable), so SQL takes their values as
/// they are instead of parsing the text. A line the typer does not take gets NULLs there, and SQL
/// judges its text in full. The typer must give exactly the values SQL would; a test of each dataset
/// loads the same files with and without it (`EXERCISE_TYPED_LINES=off`) and compares.
pub trait LineTyper: Sync {
    /// The typed columns.
    fn fields(&self) -> Vec<Field>;
    /// Empty builders for them, for one batch.
    fn columns(&self) -> Box<dyn TypedColumns>;
    /// What the typer needs to know of a file from its path (e.g. the source its folder names), handed
    /// back with each of its lines (`LineFile::kind`); 0 unless the typer says otherwise.
    fn file_kind(&self, _path: &Path) -> u8 {
        0
    }
}

/// The file a line offered to `TypedColumns::push` comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineFile {
    /// The file's id in the ledger (`staged_files.file_id`).
    pub id: i64,
    /// `LineTyper::file_kind` of its path.
    pub kind: u8,
}

/// What became of a line offered to `TypedColumns::push`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Typed {
    /// Not plain enough: NULLs were appended, and SQL judges the line's text.
    No,
    /// Typed; SQL judges the values' ranges and may reject the line, so its text is sent too.
    WithText,
    /// Typed, and every range SQL judges was judged here: SQL will not reject the line, so its text,
    /// whose only use is the rejects table, is not sent (`raw` NULL; no copy into DuckDB). SQL fails the
    /// load, rather than keep a reject without its text, should it reject such a line after all.
    Judged,
}

/// One batch's typed columns (see `LineTyper`).
pub trait TypedColumns {
    /// Types a line (of `file`) into the columns when it is plain enough; else appends NULLs.
    fn push(&mut self, line: &str, file: LineFile) -> Typed;
    /// The key the dataset deduplicates the line just typed on, as 64 bits (exact, or a hash whose
    /// equal values for equal records is all that matters), when the typer gives keys. The reader
    /// gathers the keys of every typed line and hands SQL those seen more than once
    /// (`stream_text_files`' second relation): SQL then looks for repeats among the lines of those keys
    /// and the lines it typed itself, instead of grouping every line by its key. In a straight read
    /// (`stream_judged_lines`) the judged lines' keys keep only the first line of a key
    /// (`FirstOfKey`), and a judged line without a key is left to SQL.
    fn key(&self) -> Option<u64> {
        None
    }
    /// Appends NULLs: the line is SQL's to judge.
    fn skip(&mut self);
    /// The columns so far, in the order of `LineTyper::fields`; the builders start again empty.
    fn finish(&mut self) -> Vec<ArrayRef>;
}

/// Whether the reader may type lines (`LineTyper`): `EXERCISE_TYPED_LINES=off` leaves the typed columns
/// NULL, so SQL judges every line's text, to compare the two paths.
pub fn typed_lines_on() -> bool {
    std::env::var("EXERCISE_TYPED_LINES").map_or(true, |v| v != "off")
}

/// Lines for the stream (and `staged_lines`), built column by column.
struct LineBatch {
    file_id: Int64Builder,
    line_no: Int64Builder,
    raw: StringBuilder,
    defect: StringBuilder,
    top_level_keys: Int32Builder,
    count_keys: bool,
    typed: Option<Box<dyn TypedColumns>>,
    try_typing: bool,
    schema: Arc<Schema>,
    len: usize,
    /// `TypedColumns::key` of each typed line so far
    keys: Vec<u64>,
    /// For a straight read (`stream_judged_lines`): whether each line was judged whole, the judged lines'
    /// keys, and the lines left to SQL. No text is sent.
    straight: Option<Straight>,
}

struct Straight {
    first_of_key: FirstOfKey,
    /// Of each line of the batch.
    judged: Vec<bool>,
    /// `FirstOfKey::Deleted`: key, file id and line number of each judged line.
    positions: Vec<(u64, i64, i64)>,
    /// `FirstOfKey::Claimed`: key, place in the batch, line number and place of its text in the block
    /// (start, length) of each judged line of the block being split, until the block claims them
    /// (`Pipeline::claim_keys`).
    pending: Vec<(u64, usize, i64, usize, usize)>,
    /// File id, line number and place of its text in `left_text` (start, length) of each line left to
    /// SQL.
    left: Vec<(i64, i64, usize, usize)>,
    /// The text of the lines left, while it fits the worker's share of `KEPT_TEXT_BYTES`: then SQL gets
    /// them from here rather than from the file, read again.
    left_text: Vec<u8>,
    /// False once a left line's text did not fit.
    kept_all: bool,
    /// The worker's share of `KEPT_TEXT_BYTES`.
    share: usize,
}

/// How many bytes of the text of the lines a straight read leaves to SQL its workers keep, each worker
/// an equal share (the benchmark's 10M votes leave 110,000 lines, 10 MB). Once one worker's share is
/// full, every line that read left is read again from its file instead. The texts are then gathered by
/// file (a copy, so a read's peak is about twice what it keeps), and kept until `load.sql` has read them:
/// a load of several straight reads (STEDI: three) keeps each read's.
const KEPT_TEXT_BYTES: usize = 128 << 20;

impl Straight {
    /// A worker's bookkeeping, before its first line; it keeps at most `share` bytes of text.
    fn new(first_of_key: FirstOfKey, share: usize) -> Self {
        Straight {
            first_of_key,
            judged: Vec::new(),
            positions: Vec::new(),
            pending: Vec::new(),
            left: Vec::new(),
            left_text: Vec::new(),
            kept_all: true,
            share,
        }
    }

    /// Leaves a line to SQL, keeping its text while the worker's share of `KEPT_TEXT_BYTES` lasts.
    fn leave(&mut self, file_id: i64, line_no: i64, text: &[u8]) {
        let start = self.left_text.len();
        if self.kept_all && start + text.len() <= self.share {
            self.left_text.extend_from_slice(text);
        } else {
            self.kept_all = false;
        }
        self.left.push((file_id, line_no, start, text.len()));
    }
}

/// How a straight read (`stream_judged_lines`) keeps only the first line (file, then line) of a key
/// among its judged lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstOfKey {
    /// Every judged line is sent as judged; the second relation (`file_id`, `line_no`) lists the judged
    /// lines whose key occurs on more than one, and SQL deletes the later ones. For repeats that are
    /// rare (STEDI's readings): DuckDB writes a table again at commit once its transaction deleted a
    /// row it inserted (10M rows: about 1.2 s more), and the keys are only sorted, once.
    Deleted,
    /// The reader claims each file's keys block by block in the file's order (`claims::Claims`), and a
    /// judged line whose key was claimed before is left to SQL: no two judged lines share a key, and
    /// nothing is deleted (the second relation is empty). For repeats that are common, or a table whose
    /// unique index would refuse them (votes). Of two files read side by side with a key in common,
    /// either may claim it first: a line of the earlier file left for that reason is weighed by SQL
    /// against the judged line of the later one.
    Claimed,
}

impl LineBatch {
    fn new(
        count_keys: bool,
        typer: Option<&dyn LineTyper>,
        schema: Arc<Schema>,
        straight: Option<FirstOfKey>,
    ) -> Self {
        LineBatch {
            file_id: Int64Builder::with_capacity(BATCH_ROWS),
            line_no: Int64Builder::with_capacity(BATCH_ROWS),
            raw: StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 128),
            defect: StringBuilder::with_capacity(BATCH_ROWS, 0),
            top_level_keys: Int32Builder::with_capacity(BATCH_ROWS),
            count_keys,
            typed: typer.map(|t| t.columns()),
            try_typing: typed_lines_on(),
            schema,
            len: 0,
            keys: Vec::new(),
            straight: straight.map(|first_of_key| {
                let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
                Straight::new(first_of_key, KEPT_TEXT_BYTES / workers)
            }),
        }
    }

    /// Stages a line, `at` bytes into its block; with `keep_text`, its text is sent even if the typer
    /// judged it whole (in a straight read no text is sent). Returns whether the typer judged it whole
    /// (`Typed::Judged`; in a straight read, also with a key).
    fn push(
        &mut self,
        file: LineFile,
        line_no: i64,
        (bytes, at): (&[u8], usize),
        keep_text: bool,
    ) -> bool {
        let file_id = file.id;
        self.file_id.append_value(file_id);
        self.line_no.append_value(line_no);
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                self.defect.append_null();
                let typed = match self.typed.as_mut() {
                    Some(t) if self.try_typing => {
                        let mut typed = t.push(text, file);
                        match (&mut self.straight, typed, t.key()) {
                            // a file's first line keeps its text: SQL's to judge (a dataset may
                            // quote it, e.g. a CSV file that does not start with its header)
                            (Some(_), Typed::Judged, _) if keep_text => typed = Typed::WithText,
                            (Some(s), Typed::Judged, Some(key)) => match s.first_of_key {
                                FirstOfKey::Deleted => s.positions.push((key, file_id, line_no)),
                                FirstOfKey::Claimed => {
                                    s.pending.push((key, self.len, line_no, at, bytes.len()))
                                }
                            },
                            // without a key its repeats could not be found: SQL's to judge
                            (Some(_), Typed::Judged, None) => typed = Typed::WithText,
                            (None, Typed::WithText | Typed::Judged, Some(key)) => {
                                self.keys.push(key)
                            }
                            _ => {}
                        }
                        typed
                    }
                    Some(t) => {
                        t.skip();
                        Typed::No
                    }
                    None => Typed::No,
                };
                if (typed == Typed::Judged && !keep_text) || self.straight.is_some() {
                    self.raw.append_null();
                } else {
                    self.raw.append_value(text);
                }
                // a typed line's keys are known: SQL does not look at them
                self.top_level_keys.append_option(
                    (self.count_keys && typed == Typed::No).then(|| top_level_keys(bytes)),
                );
                self.judged(file_id, line_no, typed == Typed::Judged, bytes)
            }
            Err(_) => {
                if self.straight.is_some() {
                    self.raw.append_null();
                } else {
                    self.raw.append_value(String::from_utf8_lossy(bytes));
                }
                self.defect.append_value("line is not valid UTF-8");
                self.top_level_keys
                    .append_option(self.count_keys.then(|| top_level_keys(bytes)));
                if let Some(t) = self.typed.as_mut() {
                    t.skip();
                }
                self.judged(file_id, line_no, false, bytes)
            }
        }
    }

    /// Does the batch hold the judged lines of a block until the block claims their keys?
    fn claims_keys(&self) -> bool {
        self.straight
            .as_ref()
            .is_some_and(|s| s.first_of_key == FirstOfKey::Claimed)
    }

    /// Counts the line staged and, in a straight read, marks it judged or left to SQL (with its text).
    fn judged(&mut self, file_id: i64, line_no: i64, judged: bool, text: &[u8]) -> bool {
        self.len += 1;
        if let Some(s) = self.straight.as_mut() {
            s.judged.push(judged);
            if !judged {
                s.leave(file_id, line_no, text);
            }
        }
        judged
    }

    /// The batch so far, in the stream's schema (`line_fields`, then the typer's).
    fn finish(&mut self) -> Result<RecordBatch> {
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(self.file_id.finish()),
            Arc::new(self.line_no.finish()),
            Arc::new(self.raw.finish()),
            Arc::new(self.defect.finish()),
            Arc::new(self.top_level_keys.finish()),
        ];
        if let Some(t) = self.typed.as_mut() {
            columns.extend(t.finish());
        }
        if let Some(s) = self.straight.as_mut() {
            columns.push(Arc::new(BooleanArray::from(std::mem::take(&mut s.judged))));
        }
        self.len = 0;
        RecordBatch::try_new(self.schema.clone(), columns).context("building a staging batch")
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

/// Splits a block into its non-blank lines (without their line ends; a UTF-8 byte-order mark opens a
/// file, not its first line's text) into `batch`, handing full batches to `emit`; with `only`, just the
/// lines of those numbers (ascending). Returns how many it staged, and how many of those the typer
/// judged whole.
fn split_block(
    block: &Block,
    only: Option<&[i64]>,
    batch: &mut LineBatch,
    emit: &dyn Fn(RecordBatch) -> Result<()>,
) -> Result<(u64, u64)> {
    let (mut staged, mut judged) = (0, 0);
    let mut wanted = only.map(|o| &o[o.partition_point(|&n| n < block.first_line)..]);
    // A file's first non-blank line keeps its text whatever the typer says (a dataset may quote it,
    // e.g. a CSV file that does not start with its header), when it is in the file's first block; a
    // straight read, which sends no text, leaves it to SQL. The lines a straight read left (numbered)
    // all keep their text: they are few, and that first line is among them.
    let mut first_of_file = block.first_line == 1 && block.numbers.is_none();
    let left_lines = block.numbers.is_some();
    let numbers: Box<dyn Iterator<Item = i64>> = match &block.numbers {
        Some(numbers) => Box::new(numbers.iter().copied()),
        None => Box::new(block.first_line..),
    };
    for (line_no, mut line) in numbers.zip(block.bytes.split_inclusive(|&b| b == b'\n')) {
        if let Some(w) = wanted.as_mut() {
            match w.split_first() {
                Some((&n, rest)) if n == line_no => *w = rest,
                Some(_) => continue,
                None => break,
            }
        }
        while let [rest @ .., b'\n' | b'\r'] = line {
            line = rest;
        }
        if line_no == 1 && block.numbers.is_none() {
            line = line.strip_prefix(UTF8_BOM).unwrap_or(line);
        }
        if !is_blank(line) {
            let file = LineFile {
                id: block.file_id,
                kind: block.file_kind,
            };
            let keep_text = std::mem::take(&mut first_of_file) || left_lines;
            // where the line's text starts in the block (a slice of it)
            let at = line.as_ptr().addr() - block.bytes.as_ptr().addr();
            judged += u64::from(batch.push(file, line_no, (line, at), keep_text));
            staged += 1;
            // (a batch with keys to claim goes once its block has claimed them)
            if batch.len >= BATCH_ROWS && !batch.claims_keys() {
                emit(batch.finish()?)?;
            }
        }
    }
    Ok((staged, judged))
}

/// A text file to read: its id (`staged_files.file_id`) and path, and which of its lines.
#[derive(Clone, Copy)]
pub struct TextFile<'a> {
    pub id: i64,
    pub path: &'a Path,
    pub lines: Lines<'a>,
}

/// Which lines of a text file to read.
#[derive(Clone, Copy)]
pub enum Lines<'a> {
    Whole,
    /// Only the lines of these numbers (ascending): the lines a straight read (`stream_judged_lines`)
    /// left to SQL, read again (the file must hash as it did).
    Only(&'a [i64]),
    /// The lines a straight read left to SQL, as it kept them (`Left::text`): the file is not read
    /// again.
    Kept(&'a Left),
}

impl<'a> TextFile<'a> {
    pub fn whole(id: i64, path: &'a Path) -> Self {
        TextFile {
            id,
            path,
            lines: Lines::Whole,
        }
    }

    /// The lines left by a straight read: as it kept them, or else read again.
    pub fn left(id: i64, path: &'a Path, left: &'a Left) -> Self {
        let lines = match left.text {
            Some(_) => Lines::Kept(left),
            None => Lines::Only(&left.numbers),
        };
        TextFile { id, path, lines }
    }

    /// The numbers of the only lines to read, if not the whole file.
    fn only(&self) -> Option<&'a [i64]> {
        match self.lines {
            Lines::Whole => None,
            Lines::Only(numbers) => Some(numbers),
            Lines::Kept(left) => Some(&left.numbers),
        }
    }
}

/// Reads every non-blank line of the text files (JSON lines, CSV; of a file with `TextFile::only`, just
/// those lines) while `consume` runs SQL reading them
/// from the relation it is given (`batch_stream(token)`: file_id, line_no, raw, defect, top_level_keys,
/// then the `typer`'s columns) on DuckDB's threads. Reader threads (one file each at a time) read, hash
/// and cut the files into numbered blocks of whole lines; worker threads split, decode and type them, so
/// even one big file keeps every core busy. Batches arrive in no particular order. The relation can be
/// read once, and must be read whole. With `count_keys`, each line's top-level JSON keys are counted
/// (`top_level_keys`; NULL otherwise). `consume`'s second relation (`key UBIGINT`) holds the keys
/// (`TypedColumns::key`) of typed lines that occur more than once; it can be read once the lines were
/// read whole. Returns each file's content hash.
pub fn stream_text_files(
    files: &[TextFile],
    bytes: u64,
    count_keys: bool,
    typer: Option<&dyn LineTyper>,
    progress: &ProgressBar,
    consume: impl FnOnce(&str, &str) -> Result<()>,
) -> Result<FileHashes> {
    let key = Field::new("key", DataType::UInt64, false);
    let read = run_pipeline(
        files, bytes, count_keys, typer, None, key, progress, consume,
    )?;
    Ok(read.hashes)
}

/// What a straight read (`stream_judged_lines`) learnt of its files.
pub struct JudgedRead {
    pub hashes: FileHashes,
    /// Each file's id, its non-blank lines, and how many of them the typer judged whole.
    pub counts: Vec<(i64, u64, u64)>,
    /// The files with lines the typer did not judge whole: SQL's to judge (`TextFile::left`).
    pub left: Vec<Left>,
}

/// The lines a straight read left to SQL in one file.
pub struct Left {
    pub file_id: i64,
    /// Their numbers, ascending.
    pub numbers: Vec<i64>,
    /// Their text, each line ended by a newline, unless the read's lines left were too many to keep
    /// (`KEPT_TEXT_BYTES`): then they are read again from the file.
    pub text: Option<Vec<u8>>,
}

/// For lines that go straight into their table: reads the files as `stream_text_files` does with a
/// typer, but sends no text and adds the column `judged` (the typer judged the line whole,
/// `Typed::Judged`). SQL takes the judged lines' values as they are; the others are left (`JudgedRead`)
/// for SQL to judge from their text (as kept, or read again). `consume`'s second relation (`file_id BIGINT`,
/// `line_no BIGINT`) holds the judged lines whose key (`TypedColumns::key`) occurs on more than one
/// judged line: only they can repeat a record (`FirstOfKey::Deleted`; with `FirstOfKey::Claimed` no
/// two judged lines share a key, and it is empty).
pub fn stream_judged_lines(
    files: &[TextFile],
    bytes: u64,
    typer: &dyn LineTyper,
    first_of_key: FirstOfKey,
    progress: &ProgressBar,
    consume: impl FnOnce(&str, &str) -> Result<()>,
) -> Result<JudgedRead> {
    let position = Field::new("line_no", DataType::Int64, false);
    run_pipeline(
        files,
        bytes,
        false,
        Some(typer),
        Some(first_of_key),
        position,
        progress,
        consume,
    )
}

/// The pipeline of both reads; `straight` for `stream_judged_lines`, whose second relation has
/// `file_id` before `second`; else `second` is its only column.
#[allow(clippy::too_many_arguments)]
fn run_pipeline(
    files: &[TextFile],
    bytes: u64,
    count_keys: bool,
    typer: Option<&dyn LineTyper>,
    straight: Option<FirstOfKey>,
    second: Field,
    progress: &ProgressBar,
    consume: impl FnOnce(&str, &str) -> Result<()>,
) -> Result<JudgedRead> {
    let mut fields = line_fields();
    if let Some(t) = typer {
        fields.extend(t.fields());
    }
    if straight.is_some() {
        fields.push(Field::new("judged", DataType::Boolean, false));
    }
    let schema = Arc::new(Schema::new(fields));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pipeline = Pipeline {
        files,
        count_keys,
        typer,
        straight,
        schema: schema.clone(),
        progress,
        next_file: AtomicUsize::new(0),
        staged: files.iter().map(|_| AtomicU64::new(0)).collect(),
        judged: files.iter().map(|_| AtomicU64::new(0)).collect(),
        // about one key per 80 bytes
        claims: (straight == Some(FirstOfKey::Claimed))
            .then(|| Claims::new(files.len(), (bytes / 80).min(1 << 26) as usize)),
    };
    let mut after_fields = vec![second];
    if straight.is_some() {
        after_fields.insert(0, Field::new("file_id", DataType::Int64, false));
    }
    let after_schema = Arc::new(Schema::new(after_fields));
    // `bytes` is the files' total size; about one line per 80 bytes (only the order of magnitude
    // matters, to DuckDB's planner).
    stream::stream_then(
        schema,
        bytes / 80 + 1,
        after_schema.clone(),
        |emit| {
            let (hashes, worked) = pipeline.run(cores.min(files.len()).max(1), cores, emit)?;
            let counts = files
                .iter()
                .zip(pipeline.staged.iter().zip(&pipeline.judged))
                .map(|(f, (s, j))| (f.id, s.load(Ordering::Relaxed), j.load(Ordering::Relaxed)))
                .collect();
            let (learnt, left) = learnt(worked, straight.is_some(), after_schema)?;
            Ok((
                JudgedRead {
                    hashes,
                    counts,
                    left,
                },
                learnt,
            ))
        },
        consume,
    )
}

/// Each file's id and content hash.
type FileHashes = Vec<(i64, String)>;

/// What one worker gathered: the keys of the lines it typed (`TypedColumns::key`), sorted; in a
/// straight read, those of the judged lines only, whose positions it keeps, and the lines it left.
struct Worked {
    keys: Vec<u64>,
    straight: Option<Straight>,
}

/// The batch of the second relation (of `schema`), and the lines left by file, from what the workers
/// gathered.
fn learnt(
    workers: Vec<Worked>,
    straight: bool,
    schema: SchemaRef,
) -> Result<(RecordBatch, Vec<Left>)> {
    let mut gathered = Vec::with_capacity(workers.len());
    let mut runs = Vec::with_capacity(workers.len());
    for w in workers {
        runs.push(w.keys);
        gathered.extend(w.straight);
    }
    let repeated = repeated_keys(runs);
    if !straight {
        let batch = RecordBatch::try_new(schema, vec![Arc::new(UInt64Array::from(repeated))])
            .context("building the batch of repeated keys")?;
        return Ok((batch, Vec::new()));
    }
    let (mut files, mut lines) = (Vec::new(), Vec::new());
    if !repeated.is_empty() {
        for &(key, file_id, line_no) in gathered.iter().flat_map(|w| &w.positions) {
            if repeated.binary_search(&key).is_ok() {
                files.push(file_id);
                lines.push(line_no);
            }
        }
    }
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from(files)),
            Arc::new(Int64Array::from(lines)),
        ],
    )
    .context("building the batch of repeated lines")?;
    Ok((batch, left_by_file(gathered)))
}

/// The lines the workers left, by file, in order of file id and line, with their text if every worker
/// kept it.
fn left_by_file(workers: Vec<Straight>) -> Vec<Left> {
    let kept = workers.iter().all(|w| w.kept_all);
    let mut left: Vec<(i64, i64, usize, usize, usize)> = workers
        .iter()
        .enumerate()
        .flat_map(|(w, s)| {
            s.left
                .iter()
                .map(move |&(f, n, at, len)| (f, n, w, at, len))
        })
        .collect();
    left.sort_unstable();
    let mut by_file: Vec<Left> = Vec::new();
    for (file_id, line_no, worker, at, len) in left {
        if by_file.last().is_none_or(|l| l.file_id != file_id) {
            by_file.push(Left {
                file_id,
                numbers: Vec::new(),
                text: kept.then(Vec::new),
            });
        }
        let Some(file) = by_file.last_mut() else {
            continue;
        };
        file.numbers.push(line_no);
        if let Some(text) = file.text.as_mut() {
            text.extend_from_slice(&workers[worker].left_text[at..at + len]);
            text.push(b'\n');
        }
    }
    by_file
}

/// Stops the claims when dropped: by a worker that failed or panicked (one that is done forgets it).
struct StopUnlessDone<'a>(&'a Claims);

impl Drop for StopUnlessDone<'_> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// What a reader or worker fails with when another thread, or the statement, stopped first.
#[derive(Debug)]
struct Stopped;

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the statement reading the stream stopped")
    }
}

impl std::error::Error for Stopped {}

/// Drops the blocks' receiver: readers still sending stop.
fn close(blocks: &Mutex<Option<Receiver<Block>>>) {
    if let Ok(mut rx) = blocks.lock() {
        rx.take();
    }
}

/// The threads of `stream_text_files` and what they share.
struct Pipeline<'a> {
    files: &'a [TextFile<'a>],
    count_keys: bool,
    typer: Option<&'a dyn LineTyper>,
    /// A straight read (`stream_judged_lines`).
    straight: Option<FirstOfKey>,
    schema: Arc<Schema>,
    progress: &'a ProgressBar,
    next_file: AtomicUsize,
    /// Non-blank lines staged, per file.
    staged: Vec<AtomicU64>,
    /// Of those, the lines the typer judged whole, per file.
    judged: Vec<AtomicU64>,
    /// `FirstOfKey::Claimed`: the keys of the judged lines.
    claims: Option<Claims>,
}

impl Pipeline<'_> {
    fn run(
        &self,
        readers: usize,
        workers: usize,
        emit: &mut dyn FnMut(RecordBatch) -> Result<()>,
    ) -> Result<(FileHashes, Vec<Worked>)> {
        let (block_tx, block_rx) = std::sync::mpsc::sync_channel::<Block>(workers * 2);
        let block_rx = Mutex::new(Some(block_rx));
        let (batch_tx, batch_rx) = std::sync::mpsc::sync_channel::<RecordBatch>(workers * 2);
        let stopped = || anyhow::Error::new(Stopped);
        std::thread::scope(|scope| {
            let reading: Vec<_> = (0..readers)
                .map(|_| {
                    let block_tx = block_tx.clone();
                    let block_rx = &block_rx;
                    scope.spawn(move || {
                        let read = self.read_files(&|b| block_tx.send(b).map_err(|_| stopped()));
                        // First let go of the channel: a worker waiting for a block holds the lock
                        // `close` takes, until every reader has sent or let go.
                        drop(block_tx);
                        if read.is_err() {
                            close(block_rx); // the other readers stop at their next block
                        }
                        read
                    })
                })
                .collect();
            drop(block_tx);
            let working: Vec<_> = (0..workers)
                .map(|_| {
                    let batch_tx = batch_tx.clone();
                    let block_rx = &block_rx;
                    scope.spawn(move || {
                        self.split_blocks(block_rx, &|b| batch_tx.send(b).map_err(|_| stopped()))
                    })
                })
                .collect();
            drop(batch_tx);
            let mut forwarded = Ok(());
            for batch in batch_rx.iter() {
                forwarded = emit(batch);
                if forwarded.is_err() {
                    break;
                }
            }
            // Dropping the receivers ends threads still sending.
            drop(batch_rx);
            close(&block_rx);
            let mut hashes = Vec::new();
            let mut failed: Vec<anyhow::Error> = Vec::new();
            for handle in reading {
                match handle.join() {
                    Ok(Ok(h)) => hashes.extend(h),
                    Ok(Err(err)) => failed.push(err),
                    Err(_) => failed.push(anyhow!("a reader thread panicked")),
                }
            }
            let mut worked = Vec::new();
            for handle in working {
                match handle.join() {
                    Ok(Ok(w)) => worked.push(w),
                    Ok(Err(err)) => failed.push(err),
                    Err(_) => failed.push(anyhow!("a worker thread panicked")),
                }
            }
            // A reader's or worker's own error says more than the statement's, which says more than
            // the stops they caused in the other threads.
            if let Some(i) = failed.iter().position(|e| !e.is::<Stopped>()) {
                return Err(failed.swap_remove(i));
            }
            forwarded?;
            if let Some(err) = failed.pop() {
                return Err(err);
            }
            for (file, staged) in self.files.iter().zip(&self.staged) {
                let staged = staged.load(Ordering::Relaxed);
                match file.only() {
                    // (blank lines are never left, so each number asked for is a line staged)
                    Some(only) if staged != only.len() as u64 => bail!(
                        "{}: changed while it was being loaded (read again for the {} lines SQL \
                         judges, {staged} were found)",
                        file.path.display(),
                        only.len()
                    ),
                    None if staged == 0 => {
                        bail!("{}: file is empty (no lines to load)", file.path.display())
                    }
                    _ => {}
                }
            }
            Ok((hashes, worked))
        })
    }

    /// A reader: reads files until there are none left; returns their hashes.
    fn read_files(&self, send: &dyn Fn(Block) -> Result<()>) -> Result<Vec<(i64, String)>> {
        let mut hashes = Vec::new();
        loop {
            let index = self.next_file.fetch_add(1, Ordering::Relaxed);
            let Some(file) = self.files.get(index) else {
                return Ok(hashes);
            };
            let kind = self.typer.map_or(0, |t| t.file_kind(file.path));
            if let Lines::Kept(left) = file.lines {
                if let Some(text) = &left.text {
                    send_kept(index, file.id, kind, text, &left.numbers, send)?;
                    // (not read: no hash)
                }
                continue;
            }
            hashes.push((
                file.id,
                read_blocks(index, file.id, kind, file.path, self.progress, send)?,
            ));
        }
    }

    /// A worker: splits and types blocks until the readers are done. When it fails it closes the
    /// blocks' channel, which stops the readers.
    /// Returns what it gathered.
    fn split_blocks(
        &self,
        blocks: &Mutex<Option<Receiver<Block>>>,
        emit: &dyn Fn(RecordBatch) -> Result<()>,
    ) -> Result<Worked> {
        // A worker that fails, or panics, may hold a block that never claims its keys: the others must
        // not wait for it.
        let stop = self.claims.as_ref().map(StopUnlessDone);
        let worked = self.split_until_done(blocks, emit);
        if worked.is_err() {
            close(blocks);
        } else {
            std::mem::forget(stop);
        }
        worked
    }

    fn split_until_done(
        &self,
        blocks: &Mutex<Option<Receiver<Block>>>,
        emit: &dyn Fn(RecordBatch) -> Result<()>,
    ) -> Result<Worked> {
        let mut batch = LineBatch::new(
            self.count_keys,
            self.typer,
            self.schema.clone(),
            self.straight,
        );
        loop {
            let block = match blocks.lock() {
                Ok(rx) => rx.as_ref().map(Receiver::recv),
                Err(_) => bail!("a worker thread panicked"),
            };
            let Some(Ok(block)) = block else { break };
            // (lines kept are all wanted: their block numbers them)
            let file = &self.files[block.file_index];
            let only = matches!(file.lines, Lines::Only(_))
                .then(|| file.only())
                .flatten();
            let (staged, mut judged) = split_block(&block, only, &mut batch, emit)?;
            if let Some(claims) = &self.claims {
                judged -= self.claim_keys(claims, &block, &mut batch)?;
                if batch.len >= BATCH_ROWS {
                    emit(batch.finish()?)?;
                }
            }
            self.staged[block.file_index].fetch_add(staged, Ordering::Relaxed);
            self.judged[block.file_index].fetch_add(judged, Ordering::Relaxed);
        }
        if batch.len > 0 {
            emit(batch.finish()?)?;
        }
        let straight = batch.straight.take();
        let mut keys = match &straight {
            Some(s) => s.positions.iter().map(|p| p.0).collect(),
            None => std::mem::take(&mut batch.keys),
        };
        keys.sort_unstable();
        Ok(Worked { keys, straight })
    }

    /// `FirstOfKey::Claimed`, once a block's lines are typed: waits for the block's turn (the file's
    /// earlier blocks claimed their keys), then claims the keys of its judged lines; a line whose key
    /// was claimed before is left to SQL after all (its text kept from the block). Returns how many were.
    fn claim_keys(&self, claims: &Claims, block: &Block, batch: &mut LineBatch) -> Result<u64> {
        let Some(s) = batch.straight.as_mut() else {
            return Ok(0);
        };
        let keys: Vec<u64> = s.pending.iter().map(|p| p.0).collect();
        let mut taken = Vec::new();
        if !claims.claim_in_turn(block.file_index, block.seq, &keys, |i| taken.push(i)) {
            return Err(anyhow::Error::new(Stopped));
        }
        for &i in &taken {
            let (_, place, line_no, at, len) = s.pending[i];
            s.judged[place] = false;
            s.leave(block.file_id, line_no, &block.bytes[at..at + len]);
        }
        s.pending.clear();
        Ok(taken.len() as u64)
    }
}

/// The keys that occur more than once in `runs` (each sorted), once each, sorted: the runs are walked
/// together, smallest head first (there is one run per worker, so finding the smallest is a few
/// comparisons), without copying them.
fn repeated_keys(runs: Vec<Vec<u64>>) -> Vec<u64> {
    let mut at = vec![0usize; runs.len()];
    let mut repeated = Vec::new();
    let mut previous = None;
    loop {
        let mut smallest: Option<(u64, usize)> = None;
        for (r, run) in runs.iter().enumerate() {
            if let Some(&key) = run.get(at[r]) {
                if smallest.is_none_or(|(s, _)| key < s) {
                    smallest = Some((key, r));
                }
            }
        }
        let Some((key, r)) = smallest else {
            return repeated;
        };
        at[r] += 1;
        if previous == Some(key) && repeated.last() != Some(&key) {
            repeated.push(key);
        }
        previous = Some(key);
    }
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
    use super::*;
    use indicatif::ProgressBar;

    /// Types a line of digits as its number (the key), judged whole; anything else is SQL's.
    struct Digits;
    struct DigitColumns(Int64Builder, Option<u64>);

    impl LineTyper for Digits {
        fn fields(&self) -> Vec<Field> {
            vec![Field::new("n", DataType::Int64, true)]
        }
        fn columns(&self) -> Box<dyn TypedColumns> {
            Box::new(DigitColumns(Int64Builder::new(), None))
        }
    }

    impl TypedColumns for DigitColumns {
        fn push(&mut self, line: &str, _: LineFile) -> Typed {
            self.1 = line.parse().ok();
            self.0.append_option(self.1.map(|n| n as i64));
            if self.1.is_some() {
                Typed::Judged
            } else {
                Typed::No
            }
        }
        fn key(&self) -> Option<u64> {
            self.1
        }
        fn skip(&mut self) {
            self.0.append_null();
        }
        fn finish(&mut self) -> Vec<ArrayRef> {
            vec![Arc::new(self.0.finish())]
        }
    }

    /// Rows of a query, each as its values' text joined by commas, in order (the numbers have one digit).
    fn try_rows(conn: &Connection, sql: &str) -> duckdb::Result<Vec<String>> {
        let sql = format!("SELECT COLUMNS(*)::VARCHAR FROM ({sql}) ORDER BY ALL");
        let mut stmt = conn.prepare(&sql)?;
        let n = stmt.column_count();
        let rows = stmt.query_map([], |r| {
            (0..n)
                .map(|i| {
                    r.get::<_, Option<String>>(i)
                        .map(|v| v.unwrap_or("NULL".into()))
                })
                .collect::<duckdb::Result<Vec<_>>>()
                .map(|values| values.join(","))
        })?;
        rows.collect()
    }

    fn rows(conn: &Connection, sql: &str) -> Vec<String> {
        try_rows(conn, sql).unwrap()
    }

    /// A connection that can read streams, and a file `a.txt` of `text` in a folder of its own.
    fn conn_and_file(text: &str) -> (Connection, tempfile::TempDir, std::path::PathBuf) {
        let conn = Connection::open_in_memory().unwrap();
        stream::register(&conn).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, text).unwrap();
        (conn, dir, path)
    }

    #[test]
    fn a_straight_read_marks_the_judged_lines_and_the_lines_left_are_read_again_alone() {
        // (a file's first line is left to SQL, whatever it is: here a header)
        let (conn, _dir, path) = conn_and_file("h\n1\r\n2\nx\n\n1\ny\n3\n");
        let files = [TextFile::whole(7, &path)];
        let bar = ProgressBar::hidden();
        let (mut judged, mut repeats) = (Vec::new(), Vec::new());
        let read = stream_judged_lines(
            &files,
            100,
            &Digits,
            FirstOfKey::Deleted,
            &bar,
            |lines, repeated| {
                judged = rows(
                    &conn,
                    &format!("SELECT line_no, n, judged, raw FROM {lines}"),
                );
                repeats = rows(&conn, &format!("SELECT * FROM {repeated}"));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(
            judged,
            [
                "1,NULL,false,NULL",
                "2,1,true,NULL",
                "3,2,true,NULL",
                "4,NULL,false,NULL",
                "6,1,true,NULL",
                "7,NULL,false,NULL",
                "8,3,true,NULL"
            ]
        );
        assert_eq!(repeats, ["7,2", "7,6"]);
        assert_eq!(read.counts, [(7, 7, 4)]);
        let [left] = &read.left[..] else {
            panic!("one file left lines")
        };
        assert_eq!((left.file_id, &left.numbers), (7, &vec![1, 4, 7]));
        assert_eq!(left.text.as_deref(), Some(&b"h\nx\ny\n"[..]), "kept");
        let hash = read.hashes[0].1.clone();
        let read_lines = |lines: Lines| {
            let files = [TextFile {
                id: 7,
                path: &path,
                lines,
            }];
            let mut found = Vec::new();
            let hashes = stream_text_files(&files, 100, false, Some(&Digits), &bar, |lines, _| {
                found = try_rows(&conn, &format!("SELECT line_no, raw FROM {lines}"))?;
                Ok(())
            });
            hashes.map(|h| (h, found))
        };
        let (hashes, found) = read_lines(Lines::Only(&left.numbers)).unwrap();
        assert_eq!(found, ["1,h", "4,x", "7,y"]);
        assert_eq!(hashes, [(7, hash)]);
        // as kept: the same lines, and the file is not read (no hash)
        std::fs::write(&path, "changed").unwrap();
        let (hashes, found) = read_lines(Lines::Kept(left)).unwrap();
        assert_eq!(
            (hashes, found),
            (vec![], vec!["1,h".to_string(), "4,x".into(), "7,y".into()])
        );
        // a line asked for that is not there: the file changed in between
        let err = read_lines(Lines::Only(&[3, 4])).unwrap_err().to_string();
        assert!(err.contains("changed while it was being loaded"), "{err}");
    }

    #[test]
    fn a_claimed_read_judges_the_first_line_of_a_key_and_keeps_the_text_of_the_others() {
        let (conn, _dir, path) = conn_and_file("1\n2\n1\nx\n2\r\n3\n");
        let files = [TextFile::whole(7, &path)];
        let (mut judged, mut repeats) = (Vec::new(), Vec::new());
        let claimed = FirstOfKey::Claimed;
        let bar = ProgressBar::hidden();
        let read = stream_judged_lines(&files, 100, &Digits, claimed, &bar, |lines, repeated| {
            judged = rows(&conn, &format!("SELECT line_no FROM {lines} WHERE judged"));
            repeats = rows(&conn, &format!("SELECT * FROM {repeated}"));
            Ok(())
        })
        .unwrap();
        // the file's first line is left to SQL, with its text, even when the typer judges it (a
        // dataset may quote it): so line 3 is the first judged line of key 1, which SQL weighs against
        // line 1; line 5 repeats line 2's key
        assert_eq!(judged, ["2", "3", "6"]);
        assert!(repeats.is_empty(), "nothing to delete: {repeats:?}");
        assert_eq!(read.counts, [(7, 6, 3)]);
        let [left] = &read.left[..] else {
            panic!("one file left lines")
        };
        assert_eq!(left.numbers, [1, 4, 5]);
        assert_eq!(left.text.as_deref(), Some(&b"1\nx\n2\n"[..]));
    }

    #[test]
    fn a_claimed_read_whose_statement_stops_early_ends_without_waiting() {
        // about 3 MiB: several blocks, so that workers wait for each other's turn
        let text: String = (0..600_000).map(|i| format!("{}\n", i % 5_000)).collect();
        let (conn, _dir, path) = conn_and_file(&text);
        let files = [TextFile::whole(7, &path)];
        let bar = ProgressBar::hidden();
        let read = stream_judged_lines(
            &files,
            text.len() as u64,
            &Digits,
            FirstOfKey::Claimed,
            &bar,
            |lines, _| {
                try_rows(&conn, &format!("SELECT line_no FROM {lines} LIMIT 1"))?;
                bail!("the statement stopped")
            },
        );
        let err = read.err().expect("an error, not a hang");
        assert!(err.to_string().contains("the statement stopped"), "{err:#}");
    }

    #[test]
    fn the_lines_left_are_gathered_by_file_with_their_text_only_if_every_worker_kept_it() {
        let worker = |left: Vec<(i64, i64, &str)>, kept_all: bool| {
            let mut s = Straight::new(FirstOfKey::Claimed, 100);
            for (file, line, text) in left {
                s.leave(file, line, text.as_bytes());
            }
            s.kept_all &= kept_all;
            s
        };
        let both = || {
            [
                worker(vec![(2, 9, "c"), (1, 5, "b")], true),
                worker(vec![(1, 2, "a")], true),
            ]
        };
        let left = left_by_file(both().into());
        let got: Vec<_> = left
            .iter()
            .map(|l| (l.file_id, l.numbers.clone(), l.text.clone()))
            .collect();
        assert_eq!(
            got,
            [
                (1, vec![2, 5], Some(b"a\nb\n".to_vec())),
                (2, vec![9], Some(b"c\n".to_vec()))
            ]
        );
        // a worker whose share ran out: every file's lines are read again
        let [first, _] = both();
        let left = left_by_file(vec![first, worker(vec![(1, 2, &"z".repeat(101))], true)]);
        assert!(left.iter().all(|l| l.text.is_none()), "none kept");
        assert_eq!(left[0].numbers, [2, 5]);
    }

    #[test]
    fn repeated_keys_are_those_of_more_than_one_line_in_any_worker() {
        let workers = vec![vec![1, 3, 5, 8, 8], vec![2, 3, 3, 9], vec![], vec![5]];
        assert_eq!(repeated_keys(workers), vec![3, 5, 8]);
        assert_eq!(repeated_keys(vec![vec![1, 2], vec![3]]), Vec::<u64>::new());
    }

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
