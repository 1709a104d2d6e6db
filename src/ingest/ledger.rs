//! The load ledger (meta.file_loads): what each file was when it was read, and what came of it.
use crate::duck::warehouse::Warehouse;
use anyhow::{Context, Result};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// What the file system says about a file, before reading it.
#[derive(Debug, Clone)]
pub struct FileMeta {
    pub path: PathBuf,
    pub size: i64,
    pub modified_us: i64,
}

impl FileMeta {
    pub fn read(path: &Path) -> Result<Self> {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        let modified_us = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        Ok(FileMeta {
            path: path.to_path_buf(),
            size: meta.len() as i64,
            modified_us,
        })
    }

    pub fn key(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }
}

/// The latest successful load of a path.
#[derive(Debug, Clone)]
pub struct Previous {
    pub size: i64,
    pub modified_us: i64,
    pub hash: String,
}

/// Latest successful load per path for a dataset.
pub fn previous_loads(wh: &Warehouse, dataset: &str) -> Result<HashMap<String, Previous>> {
    let mut stmt = wh.conn.prepare(
        "SELECT path, size_bytes, coalesce(epoch_us(modified_at), 0), content_hash
         FROM meta.file_loads WHERE dataset = ? AND status = 'loaded'
         QUALIFY row_number() OVER (PARTITION BY path ORDER BY file_load_id DESC) = 1",
    )?;
    let rows = stmt.query_map([dataset], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Previous {
                size: r.get(1)?,
                modified_us: r.get(2)?,
                hash: r.get(3)?,
            },
        ))
    })?;
    rows.collect::<Result<HashMap<_, _>, _>>()
        .context("reading the load ledger")
}

/// xxh3-128 of the file's bytes, hex.
pub fn content_hash(path: &Path) -> Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("{:032x}", hasher.digest128()))
}

/// Whether a file must be read, and its content hash when it is known before reading (None: the file is
/// hashed while it is read).
pub enum Decision {
    Unchanged,
    Load { hash: Option<String> },
}

/// Unchanged size and modification time: skip without reading. Otherwise hash, and skip when the
/// content is what was loaded before (a touched or copied-back file).
pub fn decide(meta: &FileMeta, previous: Option<&Previous>, force: bool) -> Result<Decision> {
    if let Some(prev) = previous.filter(|_| !force) {
        if prev.size == meta.size && prev.modified_us == meta.modified_us {
            return Ok(Decision::Unchanged);
        }
    }
    let hash = content_hash(&meta.path)?;
    match previous {
        Some(prev) if !force && prev.hash == hash => Ok(Decision::Unchanged),
        _ => Ok(Decision::Load { hash: Some(hash) }),
    }
}

/// One file's result, as written to the ledger and printed.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub path: String,
    pub rows_read: i64,
    pub rows_inserted: i64,
    pub rows_duplicate: i64,
    pub rows_rejected: i64,
    pub rows_replaced: i64,
    pub message: Option<String>,
}

impl Outcome {
    pub fn balances(&self) -> bool {
        self.rows_read == self.rows_inserted + self.rows_duplicate + self.rows_rejected
    }
}

pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(content: &str) -> (tempfile::TempDir, FileMeta) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.jsonl");
        std::fs::write(&path, content).unwrap();
        let meta = FileMeta::read(&path).unwrap();
        (dir, meta)
    }

    #[test]
    fn unchanged_size_and_mtime_skip_without_hashing() {
        let (_d, meta) = file("abc\n");
        let prev = Previous {
            size: meta.size,
            modified_us: meta.modified_us,
            hash: "not even read".into(),
        };
        assert!(matches!(
            decide(&meta, Some(&prev), false).unwrap(),
            Decision::Unchanged
        ));
        assert!(matches!(
            decide(&meta, Some(&prev), true).unwrap(),
            Decision::Load { .. }
        ));
    }

    #[test]
    fn a_touched_file_with_the_same_content_is_skipped_a_changed_one_loaded() {
        let (_d, meta) = file("abc\n");
        let hash = content_hash(&meta.path).unwrap();
        let touched = Previous {
            size: meta.size,
            modified_us: meta.modified_us - 1,
            hash: hash.clone(),
        };
        assert!(matches!(
            decide(&meta, Some(&touched), false).unwrap(),
            Decision::Unchanged
        ));
        let changed = Previous {
            size: meta.size,
            modified_us: meta.modified_us - 1,
            hash: "other".into(),
        };
        match decide(&meta, Some(&changed), false).unwrap() {
            Decision::Load { hash: h } => assert_eq!(h, Some(hash)),
            Decision::Unchanged => panic!("a changed file must load"),
        }
        assert!(matches!(
            decide(&meta, None, false).unwrap(),
            Decision::Load { .. }
        ));
    }
}
