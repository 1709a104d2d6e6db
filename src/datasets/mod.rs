//! The registry of datasets: each is declared in one file here (what Rust must know: file endings,
//! staging, dedup rule, rejects table, an optional after-load step); its SQL is in `sql/datasets/<dir>/`.
//! The `--dataset` values, `exercise status` and the tests iterate `ALL`.
mod sensor_logs;
mod stedi;
mod stocks;
mod telemetry;
mod votes;

use crate::ingest::Spec;

pub use sensor_logs::SENSOR_LOGS;
pub use stedi::STEDI;
pub use stocks::STOCKS;
pub use telemetry::TELEMETRY;
pub use votes::VOTES;

/// Every dataset, in the order they are listed.
pub static ALL: [&Spec; 5] = [&VOTES, &SENSOR_LOGS, &STOCKS, &STEDI, &TELEMETRY];

/// The dataset of this name.
pub fn by_name(name: &str) -> Option<&'static Spec> {
    ALL.iter().copied().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duck::sqlfiles;
    use crate::ingest::Staging;

    /// Each dataset's SQL folder holds the files its staging needs (see sql/datasets/*/).
    #[test]
    fn every_dataset_has_the_sql_files_its_staging_needs() {
        for spec in ALL {
            let has = |file: &str| sqlfiles::get(&format!("{}/{file}", spec.sql_dir)).is_ok();
            let needed: &[&str] = match spec.staging {
                Staging::ParquetBatches { .. } => &["load.sql", "replace.sql", "rejects.sql"],
                Staging::StreamedLines { .. } => &["load.sql", "accounting.sql", "file_errors.sql"],
                Staging::StagedLines => &[
                    "load.sql",
                    "accounting.sql",
                    "file_errors.sql",
                    "stage_parquet.sql",
                    "missing_columns_parquet.sql",
                    "missing_columns_csv.sql",
                ],
            };
            for file in needed {
                assert!(has(file), "{}: no sql/{}/{file}", spec.name, spec.sql_dir);
            }
            if let Staging::StreamedLines { straight, .. } = spec.staging {
                for s in straight {
                    assert!(
                        has(s.sql),
                        "{}: no sql/{}/{}",
                        spec.name,
                        spec.sql_dir,
                        s.sql
                    );
                }
            }
            if spec.reference_file.is_some() {
                assert!(has("reference.sql"), "{}", spec.name);
            }
            // (only the line loads set indexes aside)
            if spec.indexed.is_some() {
                assert!(has("indexes.sql"), "{}", spec.name);
                assert!(
                    !matches!(spec.staging, Staging::ParquetBatches { .. }),
                    "{}",
                    spec.name
                );
            }
        }
    }

    /// Every dataset leaves `file_accounting` through the shared macro, which names every column Rust
    /// reads from it.
    #[test]
    fn every_dataset_leaves_file_accounting_with_its_columns() {
        for spec in ALL {
            let file = match spec.staging {
                Staging::ParquetBatches { .. } => "load.sql",
                _ => "accounting.sql",
            };
            let sql = sqlfiles::get(&format!("{}/{file}", spec.sql_dir)).unwrap();
            assert!(
                sql.contains(
                    "CREATE OR REPLACE TEMP TABLE file_accounting AS FROM file_accounting_of('file_counts');"
                ),
                "{}: {file} does not create file_accounting with file_accounting_of",
                spec.name
            );
        }
        let shared = sqlfiles::get("ingest/shared.sql").unwrap();
        for column in crate::ingest::ACCOUNTING_COLUMNS {
            let named =
                shared.contains(&format!("AS {column}")) || shared.contains(&format!("f.{column}"));
            assert!(named, "ingest/shared.sql does not name column {column}");
        }
    }

    #[test]
    fn names_are_unique_and_found() {
        let mut names: Vec<_> = ALL.iter().map(|s| s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        for spec in ALL {
            assert!(std::ptr::eq(by_name(spec.name).unwrap(), spec));
        }
        assert!(by_name("nope").is_none());
    }
}
