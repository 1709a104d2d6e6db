//! Turning the paths a user typed (files, directories, globs) into the list of files to read.
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// Does `name` end with one of the dataset's file endings (case-insensitive)?
pub fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    extensions.iter().any(|ext| name.ends_with(ext))
}

fn walk(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list directory {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot list directory {}", dir.display()))?
            .path();
        if path.is_dir() {
            walk(&path, extensions, out)?;
        } else if has_extension(&path, extensions) {
            out.push(path);
        }
    }
    Ok(())
}

fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// Every matching file below the given paths, absolute, sorted, each once.
/// A path that does not exist, or names nothing to load, is an error naming it.
pub fn find_files(paths: &[String], extensions: &[&str]) -> Result<Vec<PathBuf>> {
    let wanted = extensions.join(", ");
    let mut files = Vec::new();
    for arg in paths {
        let before = files.len();
        let path = Path::new(arg);
        if path.is_dir() {
            walk(path, extensions, &mut files)?;
            if files.len() == before {
                bail!("{arg}: directory has no files ending in {wanted}");
            }
        } else if path.is_file() {
            if !has_extension(path, extensions) {
                bail!("{arg}: not a file type this dataset reads (expected one of {wanted})");
            }
            files.push(path.to_path_buf());
        } else if is_glob(arg) {
            let matches =
                glob::glob(arg).with_context(|| format!("{arg}: not a valid glob pattern"))?;
            for m in matches {
                let m = m.with_context(|| format!("{arg}: cannot read a match"))?;
                if m.is_dir() {
                    walk(&m, extensions, &mut files)?;
                } else if has_extension(&m, extensions) {
                    files.push(m);
                }
            }
            if files.len() == before {
                bail!("{arg}: no files ending in {wanted} match this pattern");
            }
        } else {
            bail!("{arg}: no such file or directory");
        }
    }
    let mut absolute = files
        .into_iter()
        .map(|f| std::path::absolute(&f).with_context(|| format!("cannot resolve {}", f.display())))
        .collect::<Result<Vec<_>>>()?;
    absolute.sort();
    absolute.dedup();
    Ok(absolute)
}
