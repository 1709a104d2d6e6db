//! The SQL files under `sql/`, embedded at build time (see build.rs).
use anyhow::{bail, Context, Result};

include!(concat!(env!("OUT_DIR"), "/sql_files.rs"));

/// The text of one embedded file, by its path under `sql/`.
pub fn get(path: &str) -> Result<&'static str> {
    SQL_FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, sql)| *sql)
        .with_context(|| {
            format!("no embedded SQL file sql/{path} (a build from a partial checkout?)")
        })
}

/// All embedded files under a folder, sorted by path.
pub fn under(prefix: &str) -> Vec<(&'static str, &'static str)> {
    let mut files: Vec<_> = SQL_FILES
        .iter()
        .filter(|(p, _)| p.starts_with(prefix))
        .copied()
        .collect();
    files.sort();
    files
}

/// A numbered migration: `sql/migrations/V001__name.sql`.
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
    pub checksum: String,
}

pub fn checksum(text: &str) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(text.as_bytes()))
}

/// The migrations in version order; two files with one version number are a build defect.
pub fn migrations() -> Result<Vec<Migration>> {
    let mut out: Vec<Migration> = Vec::new();
    for (path, sql) in under("migrations/") {
        let name = path.trim_start_matches("migrations/");
        let version = name
            .strip_prefix('V')
            .and_then(|rest| rest.split_once("__"))
            .and_then(|(num, _)| num.parse::<i32>().ok())
            .with_context(|| format!("migration file {name} is not named V<number>__<name>.sql"))?;
        if let Some(other) = out.iter().find(|m| m.version == version) {
            bail!(
                "migrations {} and {name} share version {version}",
                other.name
            );
        }
        out.push(Migration {
            version,
            name,
            sql,
            checksum: checksum(sql),
        });
    }
    out.sort_by_key(|m| m.version);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_without_gaps() {
        let ms = migrations().unwrap();
        assert!(!ms.is_empty());
        for (i, m) in ms.iter().enumerate() {
            assert_eq!(m.version, i as i32 + 1, "{}", m.name);
            assert_eq!(m.checksum.len(), 32);
        }
    }

    #[test]
    fn every_dataset_folder_has_its_load_and_accounting() {
        for dir in ["datasets/votes", "datasets/stocks", "datasets/stedi"] {
            for file in ["load.sql", "accounting.sql", "file_errors.sql"] {
                assert!(get(&format!("{dir}/{file}")).is_ok(), "{dir}/{file}");
            }
        }
        assert!(get("datasets/sensor_logs/rejects.sql").is_ok());
        assert!(get("no/such.sql").is_err());
    }

    #[test]
    fn checksum_changes_with_one_byte() {
        assert_ne!(checksum("SELECT 1"), checksum("SELECT 2"));
        assert_eq!(checksum("SELECT 1"), checksum("SELECT 1"));
    }
}
