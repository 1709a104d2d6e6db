//! Which files a load reads: found, compared with the ledger, copies set aside.
use super::ledger::{self, Decision, FileMeta};
use super::{discover, Copy, Options, Planned, Report, Spec, Staging};
use crate::duck::timed;
use crate::duck::warehouse::Warehouse;
use crate::par::parallel_map;
use anyhow::Result;
use std::collections::HashMap;

/// Decides per file: unchanged (skip), a copy of a file loaded before or earlier in this run (skip), or
/// to be read. Hashing runs on all cores.
pub fn plan(
    wh: &Warehouse,
    spec: &Spec,
    opts: &Options,
    report: &mut Report,
) -> Result<Vec<Planned>> {
    let found = timed("plan: find", || {
        discover::find_files(&opts.paths, spec.extensions)
    })?;
    report.notes.extend(found.notes);
    let previous = timed("plan: ledger", || ledger::previous_loads(wh, spec.name))?;
    let metas = timed("plan: stat", || {
        found
            .files
            .iter()
            .map(|p| FileMeta::read(p))
            .collect::<Result<Vec<_>>>()
    })?;
    // A text file never loaded before is hashed while it is staged (read once), not here, unless its
    // size is that of another file of this run or of a loaded file: only then can it be a copy. Where
    // the name is data, a file is never a copy of another.
    let mut sizes: HashMap<i64, usize> = HashMap::new();
    for m in &metas {
        *sizes.entry(m.size).or_default() += 1;
    }
    let loaded_sizes: std::collections::HashSet<i64> = previous.values().map(|p| p.size).collect();
    let defer = |m: &FileMeta| {
        !matches!(spec.staging, Staging::ParquetBatches { .. })
            && !discover::has_extension(&m.path, &[".parquet"])
            && m.path.file_name().and_then(|n| n.to_str()) != spec.reference_file
            && (spec.name_is_data
                || (sizes.get(&m.size) == Some(&1) && !loaded_sizes.contains(&m.size)))
    };
    let decisions = timed("plan: decide", || {
        parallel_map(&metas, |m| {
            let previous = previous.get(&m.key());
            if previous.is_none() && defer(m) {
                return Ok(Decision::Load { hash: None });
            }
            ledger::decide(m, previous, opts.force)
        })
    })?;
    let loaded_hashes: HashMap<&str, &str> = previous
        .iter()
        .map(|(path, p)| (p.hash.as_str(), path.as_str()))
        .collect();
    // The first file (in path order) with a content is read; a later one with the same content is a copy.
    let mut read_now: HashMap<String, String> = HashMap::new();
    let mut todo = Vec::new();
    for (meta, decision) in metas.into_iter().zip(decisions) {
        let hash = match decision {
            Decision::Unchanged => {
                report.unchanged.push(meta.path);
                continue;
            }
            Decision::Load { hash } => hash,
        };
        if let Some(hash) = hash.as_ref().filter(|_| !spec.name_is_data) {
            let earlier = loaded_hashes
                .get(hash.as_str())
                .filter(|other| !opts.force && **other != meta.key())
                .map(|other| (other.to_string(), false))
                .or_else(|| read_now.get(hash).map(|kept| (kept.clone(), true)));
            if let Some((kept, in_this_run)) = earlier {
                report.duplicate_files.push(Copy {
                    path: meta.path,
                    kept,
                    in_this_run,
                });
                continue;
            }
            read_now.insert(hash.clone(), meta.key());
        }
        todo.push(Planned { meta, hash });
    }
    Ok(todo)
}
