//! A load in one transaction: stage, type and merge every file's rows, run the after-load step, account
//! for every row and record the ledger.
use super::indexes::Indexes;
use super::lines::{Left, Lines, TextFile};
use super::stage::{record_hashes, stage_all_but_text};
use super::{blocks, lines, BeforeCommit, Load, Planned, Registered, Report};
use crate::duck::stream;
use crate::duck::{sqlfiles, timed};
use crate::par::progress_bar;
use anyhow::{bail, Context, Result};
use duckdb::arrow::array::{ArrayRef, Int8Array};
use duckdb::arrow::array::{Int64Array, StringBuilder};
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;
use indicatif::ProgressBar;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// Stage every file's lines, type and merge them, all in one transaction.
pub fn load_lines(
    load: &Load,
    todo: Vec<Planned>,
    before_commit: Option<&BeforeCommit>,
    indexes: Option<&Indexes>,
    report: &mut Report,
) -> Result<()> {
    let wh = load.wh;
    let tx = wh.begin()?;
    let todo = timed("register", || load.register(&todo))?;
    let bar = progress_bar(
        todo.iter().map(|f| f.meta.size as u64).sum(),
        "{spinner} {msg:<12} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}",
    );
    bar.set_message("staging");
    let (text_files, text_bytes) = timed("staging", || stage_all_but_text(load, &todo, &bar))?;
    let hashes = if load.spec.streams_lines() {
        bar.set_message("loading");
        stream_and_load(load, &text_files, &bar)?
    } else {
        stage_then_load(load, &text_files, text_bytes, &bar)?
    };
    timed("rejected texts", || {
        recover_texts(load, &text_files, &hashes)
    })?;
    timed("hashes", || record_hashes(load, &todo, &hashes))?;
    timed("file errors", || check_file_errors(load))?;
    if let Some(step) = load.spec.after_load {
        bar.set_message("after load");
        let notes = timed("after load", || step.run(load))?;
        report.notes.extend(notes);
    }
    if let Some(ix) = indexes {
        timed("indexes", || ix.build_missing(wh))?;
    }
    load.sql("accounting.sql")?;
    timed("known rejects", || load.set_known_rejects_aside())?;
    report.loaded = timed("ledger", || load.account_and_record())?;
    (report.rejects_total, report.reject_samples) =
        timed("reject samples", || load.reject_samples())?;
    bar.finish_and_clear();
    if let Some(check) = before_commit {
        if let Some(why) = timed("data tests", || check(wh))? {
            drop(tx); // rolls back: the warehouse is as it was
            record_refusal(load, &todo, &hashes, &why, report)?;
            return Ok(());
        }
    }
    timed("commit", || tx.commit())
}

/// Streamed lines: the straight reads first (`Spec::straight`), then the other files and the lines
/// those left, read as `load.sql` types them; returns every file's hash.
fn stream_and_load(
    load: &Load,
    text_files: &[(i64, &Path)],
    bar: &ProgressBar,
) -> Result<Vec<(i64, String)>> {
    let straight = read_straight(load, text_files, bar)?;
    let rest = straight.rest(text_files);
    // the files read straight and again for the lines they left (too many to keep) are read twice
    let again = rest
        .iter()
        .filter(|(f, _)| matches!(f.lines, Lines::Only(_)));
    bar.inc_length(again.map(|(f, _)| file_size(f.path)).sum());
    let rest_bytes = rest.iter().map(|(_, bytes)| bytes).sum();
    let rest: Vec<TextFile> = rest.into_iter().map(|(f, _)| f).collect();
    let hashes = lines::stream_text_files(
        &rest,
        rest_bytes,
        load.spec.counts_json_keys(),
        load.spec.line_typer(),
        bar,
        |stream, repeats| {
            // Parquet rows staged as JSON have no typed columns (NULL): SQL judges their text.
            load.wh.execute(&format!(
                "CREATE OR REPLACE TEMP VIEW incoming_lines AS
                 SELECT * FROM staged_lines UNION ALL BY NAME SELECT * FROM {stream};
                 CREATE OR REPLACE TEMP VIEW incoming_repeats AS SELECT key FROM {repeats}"
            ))?;
            load.sql("load.sql")
        },
    )?;
    straight.hashes_with(hashes, text_files)
}

/// Staged lines: every line copied into `staged_lines` first, then `load.sql`; returns the hashes.
fn stage_then_load(
    load: &Load,
    text_files: &[(i64, &Path)],
    text_bytes: u64,
    bar: &ProgressBar,
) -> Result<Vec<(i64, String)>> {
    let whole: Vec<TextFile> = text_files
        .iter()
        .map(|&(id, path)| TextFile::whole(id, path))
        .collect();
    let hashes = timed("staging text", || {
        lines::stream_text_files(
            &whole,
            text_bytes,
            load.spec.counts_json_keys(),
            None,
            bar,
            |stream, _| {
                load.wh
                    .execute(&format!("INSERT INTO staged_lines SELECT * FROM {stream}"))
            },
        )
    })?;
    bar.set_message("typing+merge");
    load.sql("load.sql")?;
    Ok(hashes)
}

/// What the straight reads of a load (`Spec::straight`) did: the files they read, with their hashes,
/// and the lines they left to SQL.
#[derive(Default)]
struct StraightReads {
    hashes: HashMap<i64, String>,
    left: HashMap<i64, Left>,
    read: HashSet<i64>,
}

/// The straight reads, one kind of file after the other: each streams its files' lines to its SQL,
/// then lists the files in `judged_files`.
fn read_straight(
    load: &Load,
    text_files: &[(i64, &Path)],
    bar: &ProgressBar,
) -> Result<StraightReads> {
    let mut done = StraightReads::default();
    let Some(typer) = load.spec.line_typer() else {
        return Ok(done);
    };
    for straight in load.spec.straight() {
        if let Some(table) = straight.while_empty {
            let empty: bool = load
                .wh
                .scalar(&format!("SELECT NOT EXISTS (SELECT 1 FROM {table})"))?;
            if !empty {
                continue;
            }
        }
        let files: Vec<TextFile> = text_files
            .iter()
            .filter(|(_, path)| typer.file_kind(path) == straight.kind)
            .map(|&(id, path)| TextFile::whole(id, path))
            .collect();
        if files.is_empty() {
            continue;
        }
        let bytes = files.iter().map(|f| file_size(f.path)).sum();
        let typer = straight.typer.unwrap_or(typer);
        let read = timed(straight.sql, || {
            let first = straight.first_of_key;
            lines::stream_judged_lines(&files, bytes, typer, first, bar, |stream, repeats| {
                load.wh.execute(&format!(
                    "CREATE OR REPLACE TEMP VIEW judged_lines AS SELECT * FROM {stream};
                     CREATE OR REPLACE TEMP VIEW judged_repeats AS SELECT * FROM {repeats}"
                ))?;
                load.sql(straight.sql)
            })
        })?;
        list_judged_files(load, straight.kind, &read.counts)?;
        done.read.extend(read.counts.iter().map(|c| c.0));
        done.hashes.extend(read.hashes);
        done.left
            .extend(read.left.into_iter().map(|l| (l.file_id, l)));
    }
    Ok(done)
}

/// Adds a straight read's files to `judged_files`, in one append (a statement per file cost 0.3 ms
/// each: 2.5 s more for 8,000 small files).
fn list_judged_files(load: &Load, kind: u8, counts: &[(i64, u64, u64)]) -> Result<()> {
    let column = |f: fn(&(i64, u64, u64)) -> i64| -> ArrayRef {
        Arc::new(Int64Array::from_iter_values(counts.iter().map(f)))
    };
    let batch = RecordBatch::try_from_iter([
        ("file_id", column(|c| c.0)),
        (
            "kind",
            Arc::new(Int8Array::from(vec![kind as i8; counts.len()])) as ArrayRef,
        ),
        ("rows_read", column(|c| c.1 as i64)),
        ("rows_judged", column(|c| c.2 as i64)),
    ])?;
    load.wh
        .append("judged_files", batch, "listing the files read straight")
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

impl StraightReads {
    /// The files for `load.sql`'s read, with their sizes (for the planner's estimate): those not read
    /// straight, whole, and of those read straight, the lines they left (about 100 bytes a line), as
    /// kept or read again.
    fn rest<'a>(&'a self, text_files: &[(i64, &'a Path)]) -> Vec<(TextFile<'a>, u64)> {
        text_files
            .iter()
            .filter_map(|&(id, path)| {
                if !self.read.contains(&id) {
                    return Some((TextFile::whole(id, path), file_size(path)));
                }
                let left = self.left.get(&id)?;
                Some((
                    TextFile::left(id, path, left),
                    left.numbers.len() as u64 * 100,
                ))
            })
            .collect()
    }

    /// Every file's hash: a file read straight and again for the lines it left must hash the same
    /// both times.
    fn hashes_with(
        mut self,
        rest: Vec<(i64, String)>,
        text_files: &[(i64, &Path)],
    ) -> Result<Vec<(i64, String)>> {
        for (id, hash) in rest {
            match self.hashes.get(&id) {
                None => {
                    self.hashes.insert(id, hash);
                }
                Some(first) if *first == hash => {}
                Some(_) => {
                    let path = text_files.iter().find(|(f, _)| *f == id).map(|(_, p)| p);
                    bail!(
                        "{}: changed while it was being loaded (read again for the lines SQL judges)",
                        path.map_or(String::new(), |p| p.display().to_string())
                    );
                }
            }
        }
        Ok(self.hashes.into_iter().collect())
    }
}

/// After a rollback by the data tests: every file of the load is recorded as failed, with the reason,
/// and nothing of it is counted as loaded.
fn record_refusal(
    load: &Load,
    todo: &[Registered],
    hashes: &[(i64, String)],
    why: &str,
    report: &mut Report,
) -> Result<()> {
    for f in todo {
        let hash = f
            .hash
            .clone()
            .or_else(|| {
                hashes
                    .iter()
                    .find(|(id, _)| *id == f.file_id)
                    .map(|(_, h)| h.clone())
            })
            .unwrap_or_default();
        super::record_failure(load, f, &hash, why)?;
        report.failed.push((f.meta.key(), why.to_string()));
    }
    report.loaded.clear();
    report.rejects_total = 0;
    report.reject_samples.clear();
    report.refused = Some((why.to_string(), true));
    Ok(())
}

/// Rejected lines that came without their text (a line the reader typed and judged whole, which SQL can
/// still reject as a conflicting repeat of an earlier line) get it from their file, read again; the file
/// must hash as it did when it was loaded, and every such line must be found. The texts go back in one
/// UPDATE (a re-load of refreshed data can reject most of its lines as conflicts).
fn recover_texts(load: &Load, text_files: &[(i64, &Path)], hashes: &[(i64, String)]) -> Result<()> {
    let table = load.spec.rejects_table;
    let mut stmt = load.wh.conn.prepare(&format!(
        "SELECT source_file_id, line_number FROM {table}
         WHERE raw IS NULL AND source_file_id IN (SELECT file_id FROM staged_files)
         ORDER BY source_file_id, line_number"
    ))?;
    let mut wanted: Vec<(i64, &Path, Vec<i64>)> = Vec::new();
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
        let (file_id, line) = row?;
        match wanted.last_mut() {
            Some((id, _, lines)) if *id == file_id => lines.push(line),
            _ => {
                // not a text file: Parquet rows have no line text to recover
                if let Some((_, path)) = text_files.iter().find(|(id, _)| *id == file_id) {
                    wanted.push((file_id, path, vec![line]));
                }
            }
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("file_id", DataType::Int64, false),
        Field::new("line_no", DataType::Int64, false),
        Field::new("raw", DataType::Utf8, false),
    ]));
    let rows = wanted.iter().map(|(_, _, l)| l.len() as u64).sum();
    let produce = |emit: &mut dyn FnMut(RecordBatch) -> Result<()>| {
        for (file_id, path, lines) in &wanted {
            let (found, hash) = blocks::read_numbered_lines(path, lines)?;
            if hashes.iter().find(|(id, _)| id == file_id).map(|(_, h)| h) != Some(&hash) {
                bail!(
                    "{}: changed while it was being loaded (read again for the text of rejected lines)",
                    path.display()
                );
            }
            let mut texts = StringBuilder::new();
            for (line, text) in lines.iter().zip(found) {
                let text = text.with_context(|| {
                    format!(
                        "{}: line {line} is not in the file any more",
                        path.display()
                    )
                })?;
                texts.append_value(text);
            }
            emit(RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int64Array::from(vec![*file_id; lines.len()])),
                    Arc::new(Int64Array::from(lines.clone())),
                    Arc::new(texts.finish()),
                ],
            )?)?;
        }
        Ok(())
    };
    stream::stream(schema.clone(), rows, produce, |texts| {
        load.wh.execute(&format!(
            "CREATE OR REPLACE TEMP TABLE recovered_texts AS SELECT * FROM {texts};
             UPDATE {table} AS t SET raw = r.raw FROM recovered_texts AS r
             WHERE t.source_file_id = r.file_id AND t.line_number = r.line_no AND t.raw IS NULL;
             DROP TABLE recovered_texts;"
        ))
    })
}

fn check_file_errors(load: &Load) -> Result<()> {
    let sql = sqlfiles::get(&format!("{}/file_errors.sql", load.spec.sql_dir))?;
    let mut stmt = load.wh.conn.prepare(sql)?;
    let errors = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    if let Some((path, message)) = errors.first() {
        bail!("{path}: {message}");
    }
    Ok(())
}
