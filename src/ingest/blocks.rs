//! Text files (plain or gzip) read in blocks of whole lines, each line numbered as the file numbers it
//! and the file's bytes hashed as they are read (the ledger's content hash), so a new file is read
//! once; and the lines of given numbers read again. What the lines mean is `lines.rs`'s concern.
use anyhow::{bail, Context, Result};
use flate2::read::MultiGzDecoder;
use indicatif::ProgressBar;
use std::cell::RefCell;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;
use xxhash_rust::xxh3::Xxh3;

pub(super) const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

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

/// About this many bytes of whole lines go to a worker at a time.
const BLOCK_BYTES: usize = 1 << 20;

/// Whole lines of one file, for a worker to split and type.
pub(super) struct Block {
    /// The file's position in the list (for its count of lines).
    pub(super) file_index: usize,
    pub(super) file_id: i64,
    /// `lines::LineTyper::file_kind` of the file.
    pub(super) file_kind: u8,
    /// The line number of the block's first line.
    pub(super) first_line: i64,
    /// Its place among the file's blocks (0, 1, ...).
    pub(super) seq: u64,
    /// The number of each line, when they do not follow each other from `first_line` (lines a straight
    /// read kept: `Lines::Kept`).
    pub(super) numbers: Option<Vec<i64>>,
    pub(super) bytes: Vec<u8>,
}

/// Reads one file (plain or gzip) in blocks of whole lines, numbering them, and hands each to `send`;
/// returns the xxh3-128 of the file's bytes.
pub(super) fn read_blocks(
    file_index: usize,
    file_id: i64,
    file_kind: u8,
    path: &Path,
    progress: &ProgressBar,
    send: &dyn Fn(Block) -> Result<()>,
) -> Result<String> {
    let (mut reader, hasher) = open_text(path, progress)?;
    let mut line_no = 0i64;
    let mut seq = 0u64;
    let mut carry = Vec::new();
    loop {
        // the rest of the last block's last line, then a block's worth of new bytes
        let mut bytes = std::mem::take(&mut carry);
        let searched = bytes.len(); // the rest of a line: no newline in it
        let want = searched + BLOCK_BYTES;
        bytes.reserve(BLOCK_BYTES);
        let eof = match fill(&mut reader, &mut bytes, want) {
            Ok(eof) => eof,
            Err(e) => {
                let what = if e.kind() == std::io::ErrorKind::UnexpectedEof
                    || e.kind() == std::io::ErrorKind::InvalidInput
                {
                    "compressed data is truncated or corrupt"
                } else {
                    "cannot be read"
                };
                // the whole lines read so far, this block's included
                let intact = line_no + memchr::memchr_iter(b'\n', &bytes).count() as i64;
                bail!("{}: {what} after line {intact} ({e})", path.display());
            }
        };
        // The block ends after its last newline; the rest starts the next one.
        let end = match memchr::memrchr(b'\n', &bytes[searched..]) {
            Some(at) if !eof => searched + at + 1,
            None if !eof => {
                carry = bytes; // one line longer than a block: read on
                continue;
            }
            _ => bytes.len(),
        };
        carry = bytes.split_off(end);
        let lines = memchr::memchr_iter(b'\n', &bytes).count() as i64
            + i64::from(!bytes.is_empty() && bytes.last() != Some(&b'\n'));
        if !bytes.is_empty() {
            send(Block {
                file_index,
                file_id,
                file_kind,
                first_line: line_no + 1,
                seq,
                numbers: None,
                bytes,
            })?;
            seq += 1;
        }
        line_no += lines;
        if eof {
            break;
        }
    }
    let digest = hasher.borrow().digest128();
    Ok(format!("{digest:032x}"))
}

/// Hands the lines a straight read kept (`lines::Lines::Kept`: their text and numbers) to `send` in blocks of about `BLOCK_BYTES`,
/// numbered as they were.
pub(super) fn send_kept(
    file_index: usize,
    file_id: i64,
    file_kind: u8,
    text: &[u8],
    numbers: &[i64],
    send: &dyn Fn(Block) -> Result<()>,
) -> Result<()> {
    let mut lines = text
        .split_inclusive(|&b| b == b'\n')
        .zip(numbers)
        .peekable();
    let mut seq = 0;
    while lines.peek().is_some() {
        let (mut bytes, mut numbers) = (Vec::new(), Vec::new());
        while bytes.len() < BLOCK_BYTES {
            let Some((line, &number)) = lines.next() else {
                break;
            };
            bytes.extend_from_slice(line);
            numbers.push(number);
        }
        send(Block {
            file_index,
            file_id,
            file_kind,
            first_line: numbers[0],
            seq,
            numbers: Some(numbers),
            bytes,
        })?;
        seq += 1;
    }
    Ok(())
}

/// Reads into `bytes` until it holds `want` bytes or the input ends (true).
fn fill(reader: &mut dyn BufRead, bytes: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    while bytes.len() < want {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(true);
        }
        let n = available.len().min(want - bytes.len());
        bytes.extend_from_slice(&available[..n]);
        reader.consume(n);
    }
    Ok(false)
}

/// The text of the lines numbered `wanted` (ascending) of a file, in that order, numbered as the reader
/// numbers them (every line counts; line ends and a leading byte-order mark are not text), and the
/// file's content hash, so that the caller can tell the file is the one it loaded; None for a number
/// past the end. For the rejected lines whose text was not sent (`Typed::Judged`).
pub fn read_numbered_lines(path: &Path, wanted: &[i64]) -> Result<(Vec<Option<String>>, String)> {
    let (mut reader, hasher) = open_text(path, &ProgressBar::hidden())?;
    let mut found = Vec::with_capacity(wanted.len());
    let mut bytes = Vec::new();
    let mut line_no = 0i64;
    loop {
        bytes.clear();
        let n = reader
            .read_until(b'\n', &mut bytes)
            .with_context(|| format!("{}: cannot be read again", path.display()))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        // (a number asked twice is answered twice)
        while wanted.get(found.len()) == Some(&line_no) {
            let mut line = bytes.as_slice();
            while let [rest @ .., b'\n' | b'\r'] = line {
                line = rest;
            }
            if line_no == 1 {
                line = line.strip_prefix(UTF8_BOM).unwrap_or(line);
            }
            found.push(Some(String::from_utf8_lossy(line).into_owned()));
        }
    }
    found.resize(wanted.len(), None);
    let digest = hasher.borrow().digest128();
    Ok((found, format!("{digest:032x}")))
}

/// A line of nothing but JSON's whitespace (space, tab, carriage return) is no row. Not a form feed, which
/// Rust's `is_ascii_whitespace` would pass over: to JSON (and CSV) it is a character like any other, so
/// such a line is a row SQL rejects, with its reason.
pub(super) fn is_blank(line: &[u8]) -> bool {
    line.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_again_are_numbered_and_hashed_as_the_reader_does() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let text = "\u{feff}first\r\n\n  \nfourth\r\nfifth";
        let plain = dir.path().join("a.csv");
        std::fs::write(&plain, text).unwrap();
        let gz = dir.path().join("a.csv.gz");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(text.as_bytes()).unwrap();
        std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
        for path in [&plain, &gz] {
            let bar = ProgressBar::hidden();
            let streamed = read_blocks(0, 1, 0, path, &bar, &|_| Ok(())).unwrap();
            let (found, hash) = read_numbered_lines(path, &[1, 4, 5, 9]).unwrap();
            assert_eq!(hash, streamed, "{}", path.display());
            let found: Vec<Option<&str>> = found.iter().map(Option::as_deref).collect();
            assert_eq!(found, [Some("first"), Some("fourth"), Some("fifth"), None]);
        }
    }

    #[test]
    fn only_jsons_whitespace_makes_a_line_blank() {
        assert!(is_blank(b"") && is_blank(b" \t\r "));
        for line in [&b"\x0c"[..], b" \x0b", b"\xc2\xa0", b" {}"] {
            assert!(!is_blank(line), "{line:?}");
        }
    }
}
