//! The number of rows a Parquet file's footer states (`FileMetaData.num_rows`), read without DuckDB: the
//! accounting's rows read for each file of a bulk load; and a hash of its schema, so that only files of
//! the same column types are read in one statement (bulk.rs). The footer is the file's last bytes: the
//! metadata, its length (4 bytes, little-endian) and `PAR1`; the metadata is a Thrift struct in the
//! compact protocol, whose field 3 is `num_rows`. Only what comes before that field is walked (the
//! version and the schema), skipped by type without being decoded; the schema's bytes are hashed. DuckDB's `parquet_file_metadata`
//! reads the same number; asking it cost 0.056 s per 2,000 files, one file after another, where this
//! reads the few kilobytes of each footer on all cores. A file this cannot read gets `None`, and the
//! load asks DuckDB for it.
use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// What the footer of one Parquet file says: its rows, and a hash of its schema's bytes (field 2 of the
/// FileMetaData: every column's name, type and logical type, in order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footer {
    pub rows: i64,
    /// Files whose schemas are encoded alike have the same column types: DuckDB may read them together
    /// without converting one file's values to another's types.
    pub schema: u64,
}

/// The rows and the schema hash of the Parquet file at `path`.
pub fn read(path: &Path) -> Result<Footer> {
    let metadata =
        footer(path).with_context(|| format!("reading the footer of {}", path.display()))?;
    summary(&metadata).with_context(|| format!("reading the footer of {}", path.display()))
}

/// The positions of `schemas` in groups of equal schema hashes, each in order, groups in the order of
/// their first file; a file without one (its footer unread) is a group of its own. DuckDB reads the files
/// of one statement with the first file's column types, converting the others' values with its lenient
/// casts (a text time's offset dropped, nanoseconds rounded), where each file's values must be judged as
/// that file sent them: only the files of one group are read together.
pub fn groups(schemas: &[Option<u64>]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut of_schema: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    for (i, key) in schemas.iter().enumerate() {
        match key.and_then(|k| of_schema.get(&k)) {
            Some(&group) => groups[group].push(i),
            None => {
                if let Some(k) = key {
                    of_schema.insert(*k, groups.len());
                }
                groups.push(vec![i]);
            }
        }
    }
    groups
}

/// The metadata bytes at the end of the file.
fn footer(path: &Path) -> Result<Vec<u8>> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    if size < 12 {
        bail!("{size} bytes: too short for a Parquet file");
    }
    let mut tail = [0u8; 8];
    file.seek(SeekFrom::End(-8))?;
    file.read_exact(&mut tail)?;
    if &tail[4..] != b"PAR1" {
        bail!("no Parquet footer (the file does not end in PAR1)");
    }
    let length = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if length + 12 > size {
        bail!("a footer of {length} bytes in a file of {size}");
    }
    if length > MAX_FOOTER_BYTES {
        bail!("a footer of {length} bytes (more than this reader takes; DuckDB reads it)");
    }
    let mut metadata = vec![0u8; length as usize];
    file.seek(SeekFrom::End(-8 - length as i64))?;
    file.read_exact(&mut metadata)?;
    Ok(metadata)
}

/// Field 3 (`num_rows`, an i64) of the FileMetaData struct, and the hash of field 2 (`schema`, the list
/// of SchemaElements before it).
fn summary(metadata: &[u8]) -> Result<Footer> {
    let mut r = Compact {
        bytes: metadata,
        at: 0,
    };
    let mut last = 0;
    let mut schema = None;
    loop {
        match r.field_header(&mut last)? {
            None => bail!("the footer has no row count"),
            Some((I64, 3)) => {
                let rows = r.zigzag()?;
                if rows < 0 {
                    bail!("the footer states {rows} rows");
                }
                let schema = schema.context("the footer has no schema before its row count")?;
                return Ok(Footer { rows, schema });
            }
            Some((LIST, 2)) => schema = Some(schema_key(&mut r)?),
            Some((kind, _)) => r.skip(kind, 0)?,
        }
    }
}

/// A hash of what decides the columns' types in the schema (field 2 of the FileMetaData, a list of
/// SchemaElements): each element's type, length, name, children, converted and logical type, scale and
/// precision, and whether it repeats (a list). Left out, as they change no type DuckDB reads: REQUIRED
/// against OPTIONAL (a writer says REQUIRED of a column it knows has no NULL), field ids, and the root's
/// name (each writer names it its own way).
fn schema_key(r: &mut Compact) -> Result<u64> {
    const REPETITION: i16 = 3;
    const NAME: i16 = 4;
    const FIELD_ID: i16 = 9;
    const REPEATED: i64 = 2;
    let header = r.byte()?;
    let mut n = u64::from(header >> 4);
    if n == 15 {
        n = r.varint()?;
    }
    if header & 0x0f != STRUCT {
        bail!("the footer's schema is not a list of structs");
    }
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    hash.update(&n.to_le_bytes());
    for element in 0..n {
        let mut last = 0;
        while let Some((kind, id)) = r.field_header(&mut last)? {
            if id == REPETITION && kind == I32 {
                if r.zigzag()? == REPEATED {
                    hash.update(b"repeated");
                }
                continue;
            }
            let start = r.at;
            r.skip(kind, 1)?;
            if id == FIELD_ID || (element == 0 && id == NAME) {
                continue;
            }
            hash.update(&[kind]);
            hash.update(&id.to_le_bytes());
            hash.update(&r.bytes[start..r.at]);
        }
        hash.update(b"end");
    }
    Ok(hash.digest())
}

// Thrift compact protocol types (in a field header's low nibble, or a list's element type).
const TRUE: u8 = 1;
const FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;

/// Deeper nesting than Parquet's own is no footer.
const MAX_DEPTH: u32 = 32;

/// The largest footer read here (a file's footer is a few kilobytes per row group and column).
const MAX_FOOTER_BYTES: u64 = 64 << 20;

struct Compact<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Compact<'_> {
    fn byte(&mut self) -> Result<u8> {
        let b = *self.bytes.get(self.at).context("the footer ends early")?;
        self.at += 1;
        Ok(b)
    }

    fn advance(&mut self, n: u64) -> Result<()> {
        let end = (self.at as u64)
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len() as u64);
        self.at = end.context("the footer ends early")? as usize;
        Ok(())
    }

    /// An unsigned LEB128 varint (at most 10 bytes).
    fn varint(&mut self) -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        bail!("a varint of more than 10 bytes")
    }

    fn zigzag(&mut self) -> Result<i64> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    /// A field's type and id (an i16: a delta from the previous one, or in full); None at the struct's end.
    fn field_header(&mut self, last: &mut i16) -> Result<Option<(u8, i16)>> {
        let b = self.byte()?;
        let kind = b & 0x0f;
        if kind == 0 {
            return Ok(None);
        }
        let delta = i16::from(b >> 4);
        let id = if delta == 0 {
            i16::try_from(self.zigzag()?).ok()
        } else {
            last.checked_add(delta)
        };
        *last = id.context("a field id out of range in the footer")?;
        Ok(Some((kind, *last)))
    }

    /// Skips a value of this type (a field's: a boolean field's value is in its header).
    fn skip(&mut self, kind: u8, depth: u32) -> Result<()> {
        if depth > MAX_DEPTH {
            bail!("the footer nests deeper than {MAX_DEPTH}");
        }
        match kind {
            TRUE | FALSE => Ok(()),
            BYTE => self.advance(1),
            I16 | I32 | I64 => self.varint().map(drop),
            DOUBLE => self.advance(8),
            BINARY => {
                let n = self.varint()?;
                self.advance(n)
            }
            LIST | SET => {
                let header = self.byte()?;
                let mut n = u64::from(header >> 4);
                if n == 15 {
                    n = self.varint()?;
                }
                for _ in 0..n {
                    self.skip_element(header & 0x0f, depth + 1)?;
                }
                Ok(())
            }
            MAP => {
                let n = self.varint()?;
                if n > 0 {
                    let types = self.byte()?;
                    for _ in 0..n {
                        self.skip_element(types >> 4, depth + 1)?;
                        self.skip_element(types & 0x0f, depth + 1)?;
                    }
                }
                Ok(())
            }
            STRUCT => {
                let mut last = 0;
                while let Some((kind, _)) = self.field_header(&mut last)? {
                    self.skip(kind, depth + 1)?;
                }
                Ok(())
            }
            other => bail!("an unknown Thrift type {other} in the footer"),
        }
    }

    /// Skips an element of a list, set or map: a boolean there takes a byte of its own.
    fn skip_element(&mut self, kind: u8, depth: u32) -> Result<()> {
        match kind {
            TRUE | FALSE => self.advance(1),
            kind => self.skip(kind, depth),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn duckdb_rows(path: &Path) -> i64 {
        duckdb::Connection::open_in_memory()
            .unwrap()
            .query_row(
                "SELECT num_rows FROM parquet_file_metadata(?)",
                [path.to_string_lossy()],
                |r| r.get(0),
            )
            .unwrap()
    }

    fn written(dir: &Path, name: &str, select: &str, options: &str) -> PathBuf {
        let path = dir.join(name);
        duckdb::Connection::open_in_memory()
            .unwrap()
            .execute_batch(&format!(
                "COPY ({select}) TO '{}' (FORMAT parquet{options})",
                path.display()
            ))
            .unwrap();
        path
    }

    #[test]
    fn the_row_count_is_duckdbs() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut files = vec![
            written(d, "empty.parquet", "SELECT 1 AS a WHERE false", ""),
            written(d, "one.parquet", "SELECT 'x' AS a", ""),
            // several row groups, nested and odd types, statistics, key-value metadata
            written(
                d,
                "many.parquet",
                "SELECT i, i::VARCHAR AS s, [i, i + 1] AS l, {'a': i, 'b': 'x'} AS st, map([i], ['v']) AS m,
                        i % 2 = 0 AS b, i::DOUBLE / 3 AS f, NULL::INT AS n FROM range(300000) t(i)",
                ", ROW_GROUP_SIZE 10000, KV_METADATA {who: 'test', why: 'footer'}",
            ),
            written(
                d,
                "wide.parquet",
                &format!(
                    "SELECT {} FROM range(70000)",
                    (0..40).map(|c| format!("range AS c{c}")).collect::<Vec<_>>().join(", ")
                ),
                ", COMPRESSION zstd",
            ),
        ];
        let resources = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-resources");
        for sub in ["datawow", "telemetry"] {
            for entry in std::fs::read_dir(resources.join(sub)).unwrap() {
                files.push(entry.unwrap().path());
            }
        }
        for path in files {
            assert_eq!(
                read(&path).unwrap().rows,
                duckdb_rows(&path),
                "{}",
                path.display()
            );
        }
    }

    #[test]
    fn files_of_the_same_column_types_share_a_schema_hash_and_others_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let schema = |name: &str, columns: &str, rows: u32| {
            let select = format!("SELECT {columns} FROM range({rows}) r(i)");
            read(&written(d, name, &select, "")).unwrap().schema
        };
        let t = "TIMESTAMP '2023-01-01' + INTERVAL (i) SECOND";
        let a = schema("a.parquet", &format!("{t} AS t, 'x' || i AS s"), 1);
        let b = schema("b.parquet", &format!("{t} AS t, 'longer ' || i AS s"), 5000);
        assert_eq!(a, b, "other values, other row counts: the same types");
        // constants are written REQUIRED (no NULL), computed columns OPTIONAL: the same types
        let required = read(&written(
            d,
            "required.parquet",
            "SELECT TIMESTAMP '2023-01-01' AS t, 'x' AS s",
            "",
        ))
        .unwrap()
        .schema;
        assert_eq!(
            required, a,
            "REQUIRED and OPTIONAL columns of the same types"
        );
        for (name, columns) in [
            (
                "text.parquet",
                format!("({t})::VARCHAR AS t, 'x' || i AS s"),
            ),
            (
                "ns.parquet",
                format!("({t})::TIMESTAMP_NS AS t, 'x' || i AS s"),
            ),
            (
                "tz.parquet",
                format!("({t})::TIMESTAMPTZ AS t, 'x' || i AS s"),
            ),
            ("date.parquet", format!("({t})::DATE AS t, 'x' || i AS s")),
            ("order.parquet", format!("'x' || i AS s, {t} AS t")),
            ("name.parquet", format!("{t} AS u, 'x' || i AS s")),
            ("list.parquet", format!("[{t}] AS t, 'x' || i AS s")),
        ] {
            assert_ne!(schema(name, &columns, 1), a, "{name}");
        }
    }

    #[test]
    fn a_file_without_a_parquet_footer_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let good = written(dir.path(), "good.parquet", "SELECT 1 AS a", "");
        let bytes = std::fs::read(&good).unwrap();
        let cases: [(&str, Vec<u8>); 5] = [
            ("short.parquet", b"PAR1".to_vec()),
            ("text.parquet", b"Date,Open\n2020-01-01,1\n".to_vec()),
            // a field id in full at i16's largest, then one more by delta: out of range
            ("ids.parquet", {
                let metadata = [0x05, 0xfe, 0xff, 0x03, 0x00, 0x15, 0x00];
                let mut b = b"PAR1".to_vec();
                b.extend_from_slice(&metadata);
                b.extend_from_slice(&(metadata.len() as u32).to_le_bytes());
                b.extend_from_slice(b"PAR1");
                b
            }),
            // the footer's length points before the file's start
            ("long.parquet", {
                let mut b = bytes.clone();
                let n = b.len();
                b[n - 8..n - 4].copy_from_slice(&u32::MAX.to_le_bytes());
                b
            }),
            // the metadata cut short: its length says more than the struct holds
            ("cut.parquet", {
                let n = bytes.len();
                let length = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
                let mut b = bytes[..n - 8 - length].to_vec();
                b.extend_from_slice(&bytes[n - 8 - length..n - 8 - length + 3]);
                b.extend_from_slice(&3u32.to_le_bytes());
                b.extend_from_slice(b"PAR1");
                b
            }),
        ];
        for (name, content) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, content).unwrap();
            let err = format!("{:#}", read(&path).unwrap_err());
            assert!(err.contains(name), "{err}");
        }
    }
}
