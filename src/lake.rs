//! The warehouse as a Parquet lake (`exercise publish --to DIR`): every relation of sql/lake/tables.toml
//! under DIR/<schema>/<name>/, hive-partitioned where declared, plus DIR/_manifest.json.
//!
//! Incremental: each partition's fingerprint (its row count and the sum of its rows' hashes) is kept in
//! the manifest; a later publish rewrites only the partitions whose fingerprint changed, hard-links the
//! others from the previous version, and drops the ones that disappeared.
//! Atomic per relation: a relation's files live in a versioned folder (`<name>@v<N>`) and
//! `<name>` is a symbolic link to the current one, replaced by a rename once the new version is complete;
//! a reader sees the old version or the new one, never a mix. The previous version is kept (a reader may
//! still be listing it); older ones are removed.
use crate::duck::warehouse::Warehouse;
use crate::duck::{quote_ident, sql_string, sqlfiles};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Declared {
    relation: Vec<RelationDecl>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RelationDecl {
    name: String,
    partition: Option<PartitionDecl>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct PartitionDecl {
    column: String,
    expression: String,
}

#[derive(Serialize, Deserialize, Default)]
pub struct Manifest {
    pub format: u32,
    pub published_at: String,
    pub warehouse: String,
    /// Per dataset: loaded files and the newest load id in meta.file_loads when published.
    pub ledger: Vec<LedgerState>,
    pub relations: BTreeMap<String, Published>,
}

#[derive(Serialize, Deserialize, Clone)]
pub struct LedgerState {
    pub dataset: String,
    pub files: i64,
    pub last_load_id: Option<i64>,
}

#[derive(Serialize, Deserialize, Clone)]
pub struct Published {
    /// The folder under the lake (a link to the current version).
    pub path: String,
    pub version: u64,
    pub rows: i64,
    pub partition_column: Option<String>,
    pub columns: Vec<Column>,
    pub partitions: Vec<Partition>,
}

#[derive(Serialize, Deserialize, Clone)]
pub struct Column {
    pub name: String,
    pub duckdb_type: String,
    /// How Spark reads it from the Parquet file.
    pub spark_type: String,
}

#[derive(Serialize, Deserialize, Clone, PartialEq)]
pub struct Partition {
    /// The folder's value (`column=value`), or "" for an unpartitioned relation.
    pub value: String,
    pub rows: i64,
    pub fingerprint: String,
}

/// What one publish did to one relation.
pub struct Outcome {
    pub relation: String,
    pub rows: i64,
    pub partitions: usize,
    pub rewritten: usize,
    pub removed: usize,
}

const MANIFEST: &str = "_manifest.json";

pub fn publish(wh: &Warehouse, lake: &Path) -> Result<Vec<Outcome>> {
    let declared: Declared =
        toml::from_str(sqlfiles::get("lake/tables.toml")?).context("sql/lake/tables.toml")?;
    if lake.exists() && !lake.is_dir() {
        bail!("{} is a file, not a lake folder", lake.display());
    }
    std::fs::create_dir_all(lake).with_context(|| format!("cannot create {}", lake.display()))?;
    let lake = lake
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", lake.display()))?;
    let _lock = Lock::take(&lake)?;
    let previous = read_manifest(&lake)?;
    // The manifest is rewritten after each relation: if a later one fails, it still describes exactly
    // what every link points to (the new version of the relations done, the old of the others).
    let mut manifest = Manifest {
        format: 1,
        published_at: chrono::Utc::now().to_rfc3339(),
        warehouse: wh.path.display().to_string(),
        ledger: ledger(wh)?,
        relations: previous.relations.clone(),
    };
    let mut outcomes = Vec::new();
    for decl in &declared.relation {
        let before = previous.relations.get(&decl.name);
        let (published, outcome) = publish_relation(wh, &lake, decl, before)
            .with_context(|| format!("publishing {}", decl.name))?;
        manifest.relations.insert(decl.name.clone(), published);
        write_manifest(&lake, &manifest)?;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// One publish at a time per lake: `DIR/.publish.lock`, created exclusively, removed when done.
struct Lock(PathBuf);

impl Lock {
    fn take(lake: &Path) -> Result<Lock> {
        let path = lake.join(".publish.lock");
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| {
                format!(
                    "another publish to {} is running (or one was killed: then remove {})",
                    lake.display(),
                    path.display()
                )
            })?;
        Ok(Lock(path))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn read_manifest(lake: &Path) -> Result<Manifest> {
    let path = lake.join(MANIFEST);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a lake manifest of this tool", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let foreign = std::fs::read_dir(lake)?
                .filter_map(|e| e.ok())
                .any(|e| e.file_name() != ".publish.lock");
            if foreign {
                bail!(
                    "{} is not empty and has no {MANIFEST}: publish into an empty folder or an earlier lake",
                    lake.display()
                );
            }
            Ok(Manifest::default())
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn write_manifest(lake: &Path, manifest: &Manifest) -> Result<()> {
    let aside = lake.join(format!("{MANIFEST}.partial"));
    std::fs::write(&aside, serde_json::to_vec_pretty(manifest)?)
        .with_context(|| format!("cannot write {}", aside.display()))?;
    std::fs::rename(&aside, lake.join(MANIFEST)).context("replacing the manifest")
}

fn ledger(wh: &Warehouse) -> Result<Vec<LedgerState>> {
    let mut stmt = wh.conn.prepare(
        "SELECT dataset, count(*), max(file_load_id) FROM meta.file_loads
         WHERE status = 'loaded' GROUP BY dataset ORDER BY dataset",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(LedgerState {
            dataset: r.get(0)?,
            files: r.get(1)?,
            last_load_id: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The relation's columns as published: INTERVAL columns become `<name>_us` (microseconds, BIGINT),
/// since Spark cannot read Parquet intervals.
fn columns(wh: &Warehouse, name: &str) -> Result<Vec<(String, String)>> {
    let (schema, table) = name.split_once('.').context("a relation is schema.name")?;
    let mut stmt = wh.conn.prepare(
        "SELECT column_name, data_type FROM duckdb_columns()
         WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
    )?;
    let cols = stmt
        .query_map([schema, table], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<(String, String)>, _>>()?;
    if cols.is_empty() {
        bail!("no relation {name} in the warehouse");
    }
    Ok(cols)
}

fn select_list(cols: &[(String, String)]) -> String {
    cols.iter()
        .map(|(name, ty)| {
            if ty == "INTERVAL" {
                format!(
                    "CAST(epoch_us(TIMESTAMP '1970-01-01' + {q}) AS BIGINT) AS {}",
                    quote_ident(&format!("{name}_us")),
                    q = quote_ident(name)
                )
            } else {
                quote_ident(name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn spark_type(duckdb: &str, name: &str) -> (String, String) {
    let spark = match duckdb {
        "BIGINT" => "bigint",
        "INTEGER" => "int",
        "SMALLINT" => "smallint",
        "TINYINT" => "tinyint",
        "UBIGINT" => "decimal(20,0)",
        "UINTEGER" => "bigint",
        "USMALLINT" => "int",
        "UTINYINT" => "smallint",
        "HUGEINT" => "decimal(38,0)",
        "DOUBLE" => "double",
        "FLOAT" => "float",
        "BOOLEAN" => "boolean",
        "VARCHAR" => "string",
        "DATE" => "date",
        "TIMESTAMP" => "timestamp_ntz",
        "TIMESTAMP WITH TIME ZONE" => "timestamp",
        "INTERVAL" => return (format!("{name}_us"), "bigint (microseconds)".into()),
        "VARCHAR[]" => "array<string>",
        other if other.starts_with("DECIMAL") => return (name.into(), other.to_lowercase()),
        other => return (name.into(), format!("see the Parquet schema ({other})")),
    };
    (name.into(), spark.into())
}

fn publish_relation(
    wh: &Warehouse,
    lake: &Path,
    decl: &RelationDecl,
    before: Option<&Published>,
) -> Result<(Published, Outcome)> {
    let cols = columns(wh, &decl.name)?;
    let (schema, table) = decl
        .name
        .split_once('.')
        .context("a relation is schema.name")?;
    let source = format!("{}.{}", quote_ident(schema), quote_ident(table));
    let part_expr = decl
        .partition
        .as_ref()
        .map(|p| p.expression.clone())
        .unwrap_or_else(|| "''".into());
    // Fingerprints: the rows' hashes summed per partition (the order of rows does not matter).
    let mut stmt = wh.conn.prepare(&format!(
        "SELECT CAST({part_expr} AS VARCHAR) AS part, count(*), CAST(sum(hash(t)) AS VARCHAR)
         FROM {source} t GROUP BY part ORDER BY part"
    ))?;
    let partitions: Vec<Partition> = stmt
        .query_map([], |r| {
            Ok(Partition {
                value: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                rows: r.get(1)?,
                fingerprint: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let unchanged = |p: &Partition| before.is_some_and(|b| b.partitions.contains(p));
    let changed: Vec<&Partition> = partitions.iter().filter(|p| !unchanged(p)).collect();
    let removed = before.map_or(0, |b| {
        b.partitions
            .iter()
            .filter(|old| !partitions.iter().any(|p| p.value == old.value))
            .count()
    });
    let dir = lake.join(schema);
    std::fs::create_dir_all(&dir)?;
    let link = dir.join(table);
    let rows = partitions.iter().map(|p| p.rows).sum();
    let published_cols: Vec<Column> = cols
        .iter()
        .map(|(name, ty)| {
            let (name, spark) = spark_type(ty, name);
            Column {
                name,
                duckdb_type: ty.clone(),
                spark_type: spark,
            }
        })
        .collect();
    let same_schema = before.is_some_and(|b| {
        b.columns
            .iter()
            .map(|c| (&c.name, &c.duckdb_type))
            .eq(published_cols.iter().map(|c| (&c.name, &c.duckdb_type)))
            && b.partition_column == decl.partition.as_ref().map(|p| p.column.clone())
    });
    let mut published = Published {
        path: format!("{schema}/{table}"),
        version: before.map_or(1, |b| b.version),
        rows,
        partition_column: decl.partition.as_ref().map(|p| p.column.clone()),
        columns: published_cols,
        partitions: partitions.clone(),
    };
    let outcome = |rewritten| Outcome {
        relation: decl.name.clone(),
        rows,
        partitions: partitions.len(),
        rewritten,
        removed,
    };
    if same_schema && changed.is_empty() && removed == 0 && link.exists() {
        return Ok((published, outcome(0)));
    }
    // The next version is above any folder on disk (a failed publish may have left one, even linked).
    let version = before
        .map_or(0, |b| b.version)
        .max(highest_version(&dir, table)?)
        + 1;
    published.version = version;
    let new_dir = dir.join(format!("{table}@v{version}"));
    if new_dir.exists() {
        std::fs::remove_dir_all(&new_dir)
            .with_context(|| format!("cannot clear {}", new_dir.display()))?;
    }
    std::fs::create_dir_all(&new_dir)?;
    let rewrite: Vec<&Partition> = if same_schema {
        changed
    } else {
        partitions.iter().collect()
    };
    write_partitions(wh, &source, &cols, decl, &new_dir, &rewrite)?;
    if same_schema {
        if let Some(b) = before {
            let old_dir = dir.join(format!("{table}@v{}", b.version));
            for p in partitions.iter().filter(|p| unchanged(p)) {
                link_partition(&old_dir, &new_dir, decl, p)?;
            }
        }
    }
    swap_link(&link, &format!("{table}@v{version}"))?;
    // Keep the version just replaced for readers still listing it; remove the ones before it.
    let replaced = before.map(|b| b.version);
    for old in versions(&dir, table)? {
        if old != version && Some(old) != replaced {
            let stale = dir.join(format!("{table}@v{old}"));
            std::fs::remove_dir_all(&stale)
                .with_context(|| format!("cannot remove {}", stale.display()))?;
        }
    }
    Ok((published, outcome(rewrite.len())))
}

/// The version folders of a relation on disk (`<table>@v<N>`).
fn versions(dir: &Path, table: &str) -> Result<Vec<u64>> {
    let prefix = format!("{table}@v");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().to_string();
        if let Some(n) = name.strip_prefix(&prefix).and_then(|v| v.parse().ok()) {
            found.push(n);
        }
    }
    Ok(found)
}

fn highest_version(dir: &Path, table: &str) -> Result<u64> {
    Ok(versions(dir, table)?.into_iter().max().unwrap_or(0))
}

fn partition_folder(decl: &RelationDecl, p: &Partition) -> PathBuf {
    match &decl.partition {
        Some(part) => PathBuf::from(format!("{}={}", part.column, p.value)),
        None => PathBuf::new(),
    }
}

fn write_partitions(
    wh: &Warehouse,
    source: &str,
    cols: &[(String, String)],
    decl: &RelationDecl,
    new_dir: &Path,
    rewrite: &[&Partition],
) -> Result<()> {
    let list = select_list(cols);
    if rewrite.is_empty() {
        if has_rows(wh, source)? {
            return Ok(());
        }
        // An empty relation: one file with its columns and no rows, so that readers know its schema.
        let file = new_dir.join("data.parquet");
        return wh.execute(&format!(
            "COPY (SELECT {list} FROM {source} LIMIT 0) TO {} (FORMAT parquet)",
            sql_string(&file.to_string_lossy())
        ));
    }
    match &decl.partition {
        None => {
            let file = new_dir.join("data.parquet");
            wh.execute(&format!(
                "COPY (SELECT {list} FROM {source}) TO {} (FORMAT parquet)",
                sql_string(&file.to_string_lossy())
            ))
        }
        Some(part) => {
            let values = rewrite
                .iter()
                .map(|p| sql_string(&p.value))
                .collect::<Vec<_>>()
                .join(", ");
            let is_column = cols.iter().any(|(name, _)| *name == part.column);
            let extra = if is_column {
                String::new()
            } else {
                format!(", {} AS {}", part.expression, quote_ident(&part.column))
            };
            wh.execute(&format!(
                "COPY (SELECT {list}{extra} FROM {source} WHERE CAST({} AS VARCHAR) IN ({values}))
                 TO {} (FORMAT parquet, PARTITION_BY ({}), OVERWRITE_OR_IGNORE)",
                part.expression,
                sql_string(&new_dir.to_string_lossy()),
                quote_ident(&part.column)
            ))
        }
    }
}

fn has_rows(wh: &Warehouse, source: &str) -> Result<bool> {
    wh.scalar::<bool>(&format!("SELECT EXISTS (SELECT 1 FROM {source})"))
}

/// Hard-links an unchanged partition's files from the previous version into the new one.
fn link_partition(
    old_dir: &Path,
    new_dir: &Path,
    decl: &RelationDecl,
    p: &Partition,
) -> Result<()> {
    let from = old_dir.join(partition_folder(decl, p));
    let to = new_dir.join(partition_folder(decl, p));
    std::fs::create_dir_all(&to)?;
    for entry in
        std::fs::read_dir(&from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::hard_link(entry.path(), to.join(entry.file_name())).with_context(|| {
                format!(
                    "cannot link {} into {}",
                    entry.path().display(),
                    to.display()
                )
            })?;
        }
    }
    Ok(())
}

/// Points `link` at `target` (a sibling folder) by renaming a fresh link over it: atomic on POSIX.
fn swap_link(link: &Path, target: &str) -> Result<()> {
    let fresh = link.with_extension("swap");
    let _ = std::fs::remove_file(&fresh);
    #[cfg(unix)]
    std::os::unix::fs::symlink(target, &fresh)
        .with_context(|| format!("cannot create the link {}", fresh.display()))?;
    #[cfg(not(unix))]
    bail!("publishing a lake needs symbolic links (a POSIX file system)");
    if link.exists() && !link.is_symlink() {
        bail!("{} exists and is not this lake's link", link.display());
    }
    std::fs::rename(&fresh, link).with_context(|| format!("cannot replace {}", link.display()))
}

#[cfg(test)]
mod tests {
    use crate::duck::sqlfiles;

    /// Every view of sql/views/ has a Spark port (sql/spark/<schema>/<name>.sql) or a reason in
    /// sql/spark/not_ported.toml; .ci/spark then proves each port equal to DuckDB.
    #[test]
    fn every_view_has_a_spark_port_or_a_reason() {
        let not_ported: toml::Table =
            toml::from_str(sqlfiles::get("spark/not_ported.toml").unwrap()).unwrap();
        let views = sqlfiles::views_in_order().unwrap();
        for view in views.iter().filter_map(|(path, _)| sqlfiles::view_of(path)) {
            let (schema, name) = view.split_once('.').unwrap();
            let ported = sqlfiles::get(&format!("spark/{schema}/{name}.sql")).is_ok();
            assert!(
                ported || not_ported.contains_key(&view),
                "{view}: no sql/spark/{schema}/{name}.sql and no reason in sql/spark/not_ported.toml"
            );
        }
        for view in not_ported.keys() {
            let (schema, name) = view.split_once('.').unwrap();
            assert!(
                sqlfiles::get(&format!("views/{schema}/{name}.sql")).is_ok(),
                "not_ported.toml names {view}, which is not a view"
            );
        }
    }
}
