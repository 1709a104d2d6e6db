//! The SQL files under `sql/`, embedded at build time (see build.rs).
use anyhow::{bail, Context, Result};

include!(concat!(env!("OUT_DIR"), "/sql_files.rs"));

/// The embedded list of files was made by build.rs for this checkout: with checkouts sharing one target
/// folder, a stale list (another checkout's files) would be a binary missing or mixing SQL files.
const _: () = assert!(
    same_str(env!("EXERCISE_SQL_LIST_FOR"), env!("CARGO_MANIFEST_DIR")),
    "the embedded SQL file list was made for another checkout sharing this target folder: `touch build.rs` and build again"
);

const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

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

/// The relation a view file creates: `views/<schema>/<name>.sql` is `<schema>.<name>`; None for the
/// shared macros (`views/_macros/`).
pub fn view_of(path: &str) -> Option<String> {
    let rest = path.strip_prefix("views/")?.strip_suffix(".sql")?;
    let (schema, name) = rest.split_once('/')?;
    (!schema.starts_with('_') && !name.contains('/')).then(|| format!("{schema}.{name}"))
}

/// Does `sql` name `relation` (`schema.name`) as a whole word?
fn mentions(sql: &str, relation: &str) -> bool {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    sql.match_indices(relation).any(|(at, _)| {
        let before = sql[..at].chars().next_back();
        let after = sql[at + relation.len()..].chars().next();
        !before.is_some_and(|c| is_word(c) || c == '.') && !after.is_some_and(is_word)
    })
}

/// The files under `views/` in the order they must run: the shared macros first (in path order), then
/// every view after the views its SQL names (`schema.name`), ties in path order. A circle of views is a
/// build defect.
pub fn views_in_order() -> Result<Vec<(&'static str, &'static str)>> {
    let (mut ordered, views): (Vec<_>, Vec<_>) = under("views/")
        .into_iter()
        .partition(|(path, _)| view_of(path).is_none());
    let names: Vec<String> = views.iter().filter_map(|(p, _)| view_of(p)).collect();
    let needs: Vec<Vec<usize>> = views
        .iter()
        .enumerate()
        .map(|(i, (_, sql))| {
            (0..views.len())
                .filter(|&j| j != i && mentions(sql, &names[j]))
                .collect()
        })
        .collect();
    let mut done = vec![false; views.len()];
    while done.iter().any(|d| !d) {
        let Some(next) = (0..views.len()).find(|&i| !done[i] && needs[i].iter().all(|&j| done[j]))
        else {
            let left: Vec<&str> = (0..views.len())
                .filter(|&i| !done[i])
                .map(|i| views[i].0)
                .collect();
            bail!(
                "views that read each other in a circle: {}",
                left.join(", ")
            );
        };
        done[next] = true;
        ordered.push(views[next]);
    }
    Ok(ordered)
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
    fn every_view_file_creates_the_view_it_is_named_after() {
        for (path, sql) in under("views/") {
            let Some(view) = view_of(path) else {
                assert!(path.starts_with("views/_macros/"), "{path}");
                continue;
            };
            let creates = format!("CREATE OR REPLACE VIEW {view} AS");
            assert!(sql.contains(&creates), "{path} does not say `{creates}`");
            assert_eq!(
                sql.matches("CREATE OR REPLACE VIEW").count(),
                1,
                "{path}: one view per file"
            );
        }
    }

    #[test]
    fn views_come_after_the_views_they_read() {
        let order: Vec<&str> = views_in_order().unwrap().iter().map(|(p, _)| *p).collect();
        let at = |path: &str| order.iter().position(|p| *p == path).unwrap();
        assert!(order[0].starts_with("views/_macros/"));
        assert!(
            at("views/stedi_trusted/customer_trusted.sql")
                < at("views/stedi_curated/customer_curated.sql")
        );
        assert!(at("views/telemetry/readings.sql") < at("views/telemetry/readings_wide.sql"));
        assert!(at("views/telemetry/run_features.sql") < at("views/telemetry/run_statistics.sql"));
        assert_eq!(order.len(), under("views/").len());
        assert!(
            mentions("FROM a.b x", "a.b")
                && !mentions("FROM a.bc", "a.b")
                && !mentions("xa.b", "a.b")
        );
    }

    #[test]
    fn checksum_changes_with_one_byte() {
        assert_ne!(checksum("SELECT 1"), checksum("SELECT 2"));
        assert_eq!(checksum("SELECT 1"), checksum("SELECT 1"));
    }
}
