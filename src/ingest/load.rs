//! A load in one transaction: stage, type and merge every file's rows, run the after-load step, account
//! for every row and record the ledger.
use super::stage::{record_hashes, stage_all_but_text};
use super::{lines, Load, Planned, Report};
use crate::duck::{sqlfiles, timed};
use crate::par::progress_bar;
use anyhow::{bail, Result};

/// Stage every file's lines, type and merge them, all in one transaction.
pub fn load_lines(run: &Load, mut todo: Vec<Planned>, report: &mut Report) -> Result<()> {
    let wh = run.wh;
    let tx = wh.begin()?;
    run.register(&mut todo)?;
    let bar = progress_bar(
        todo.iter().map(|f| f.meta.size as u64).sum(),
        "{spinner} {msg:<12} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}",
    );
    bar.set_message("staging");
    let (text_files, text_bytes) = timed("staging", || stage_all_but_text(run, &todo, &bar))?;
    let hashes = if run.spec.streams_lines() {
        bar.set_message("loading");
        lines::stream_text_files(
            &text_files,
            text_bytes,
            run.spec.counts_json_keys(),
            &bar,
            |stream| {
                wh.run(&format!(
                    "CREATE OR REPLACE TEMP VIEW incoming_lines AS
                 SELECT * FROM staged_lines UNION ALL SELECT * FROM {stream}"
                ))?;
                run.sql("load.sql")
            },
        )?
    } else {
        let hashes = timed("staging text", || {
            lines::stream_text_files(
                &text_files,
                text_bytes,
                run.spec.counts_json_keys(),
                &bar,
                |stream| wh.run(&format!("INSERT INTO staged_lines SELECT * FROM {stream}")),
            )
        })?;
        bar.set_message("typing+merge");
        run.sql("load.sql")?;
        hashes
    };
    record_hashes(run, &todo, &hashes)?;
    timed("file errors", || check_file_errors(run))?;
    if let Some(step) = run.spec.after_load {
        bar.set_message("after load");
        let notes = timed("after load", || step.run(run))?;
        report.notes.extend(notes);
    }
    run.sql("accounting.sql")?;
    report.loaded = timed("ledger", || run.account_and_record())?;
    (report.rejects_total, report.reject_samples) = run.reject_samples()?;
    bar.finish_and_clear();
    timed("commit", || tx.commit())
}

fn check_file_errors(run: &Load) -> Result<()> {
    let sql = sqlfiles::get(&format!("{}/file_errors.sql", run.spec.sql_dir))?;
    let mut stmt = run.wh.conn.prepare(sql)?;
    let errors = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    if let Some((path, message)) = errors.first() {
        bail!("{path}: {message}");
    }
    Ok(())
}
