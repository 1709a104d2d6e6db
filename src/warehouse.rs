//! The warehouse file: opening it (with clear errors), migrating it, re-creating views, transactions.
use crate::sqlfiles::{self, Migration};
use anyhow::{anyhow, bail, Context, Result};
use duckdb::{AccessMode, Config, Connection};
use std::path::{Path, PathBuf};

/// Storage format written into new warehouses: readable by DuckDB 1.3 (May 2025) and every later client
/// (CLI, Python), and ~40% faster to write than the 1.0 format. EXERCISE_STORAGE_VERSION overrides it
/// (`v1.0.0` for older clients, `latest` for the newest format).
pub const STORAGE_COMPATIBILITY: &str = "v1.3.0";

pub struct Warehouse {
    pub conn: Connection,
    pub path: PathBuf,
}

impl Warehouse {
    /// Opens (creating if needed) for writing, applies pending migrations and re-creates the views.
    pub fn open(path: &Path) -> Result<Self> {
        let wh = Self::connect(path, AccessMode::ReadWrite)?;
        wh.migrate()?;
        wh.recreate_views()?;
        Ok(wh)
    }

    /// Opens for writing without migrating (for `exercise migrate`, which reports what it applies).
    pub fn open_unmigrated(path: &Path) -> Result<Self> {
        Self::connect(path, AccessMode::ReadWrite)
    }

    /// Opens for reading only, after bringing the schema up to date when the file is not in use.
    pub fn open_read_only(path: &Path) -> Result<Self> {
        match Self::open(path) {
            Ok(wh) => drop(wh),
            // Another process may hold the file open for reading: read what is there.
            Err(err) if path.exists() && is_lock_error(&err) => {}
            Err(err) => return Err(err),
        }
        Self::connect(path, AccessMode::ReadOnly)
    }

    fn connect(path: &Path, mode: AccessMode) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.is_dir() {
                bail!(
                    "cannot open warehouse {}: folder {} does not exist",
                    path.display(),
                    parent.display()
                );
            }
        }
        let writable = matches!(mode, AccessMode::ReadWrite);
        let storage = std::env::var("EXERCISE_STORAGE_VERSION")
            .unwrap_or_else(|_| STORAGE_COMPATIBILITY.to_string());
        let mut config = Config::default()
            .access_mode(mode)
            .and_then(|c| c.with("storage_compatibility_version", &storage))
            .with_context(|| {
                format!("building the DuckDB configuration (storage version {storage})")
            })?;
        // DuckDB's memory limit (default 80% of RAM); above it, DuckDB spills to a temp folder on disk.
        if let Ok(limit) = std::env::var("EXERCISE_MEMORY_LIMIT") {
            config = config.with("memory_limit", &limit).with_context(|| {
                format!("EXERCISE_MEMORY_LIMIT={limit} is not a DuckDB memory limit")
            })?;
        }
        let conn =
            Connection::open_with_flags(path, config).map_err(|e| explain_open_error(path, e))?;
        if writable {
            crate::ingest::incoming::register(&conn)?;
        }
        Ok(Warehouse {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Runs `sql` as a batch of statements.
    pub fn run(&self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(|e| anyhow!("{e}"))
    }

    /// Runs an embedded SQL file.
    pub fn run_file(&self, path: &str) -> Result<()> {
        self.run(sqlfiles::get(path)?)
            .with_context(|| format!("running sql/{path}"))
    }

    pub fn begin(&self) -> Result<Transaction<'_>> {
        self.run("BEGIN TRANSACTION")
            .context("starting a transaction")?;
        Ok(Transaction {
            wh: self,
            done: false,
        })
    }

    /// Applies every migration not yet recorded, each in its own transaction, and refuses a warehouse
    /// whose applied migrations were edited afterwards or are unknown to this build.
    pub fn migrate(&self) -> Result<Vec<&'static str>> {
        self.run_file("bootstrap.sql")?;
        let known = sqlfiles::migrations()?;
        let applied = self.applied_migrations()?;
        for (version, name, checksum) in &applied {
            let Some(m) = known.iter().find(|m| m.version == *version) else {
                bail!(
                    "warehouse {} has migration {name} which this build of exercise does not know: use a newer build",
                    self.path.display()
                );
            };
            if &m.checksum != checksum {
                bail!(
                    "migration {} was edited after it was applied to {} (checksum {} now, {} when applied): \
                     put the change in a new migration instead",
                    m.name,
                    self.path.display(),
                    m.checksum,
                    checksum
                );
            }
        }
        let mut newly = Vec::new();
        for m in known
            .iter()
            .filter(|m| !applied.iter().any(|(v, _, _)| *v == m.version))
        {
            self.apply_migration(m)?;
            newly.push(m.name);
        }
        Ok(newly)
    }

    fn applied_migrations(&self) -> Result<Vec<(i32, String, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT version, name, checksum FROM meta.schema_migrations ORDER BY version",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<Result<Vec<_>, _>>()
            .context("reading meta.schema_migrations")
    }

    fn apply_migration(&self, m: &Migration) -> Result<()> {
        let tx = self.begin()?;
        self.run(m.sql)
            .with_context(|| format!("applying migration {}", m.name))?;
        self.conn
            .execute(
                "INSERT INTO meta.schema_migrations VALUES (?, ?, ?, now()::TIMESTAMP)",
                duckdb::params![m.version, m.name, m.checksum],
            )
            .with_context(|| format!("recording migration {}", m.name))?;
        tx.commit()
    }

    /// Re-creates every view from `sql/views/**.sql`, in path order, in one transaction.
    pub fn recreate_views(&self) -> Result<()> {
        let tx = self.begin()?;
        for (path, sql) in sqlfiles::under("views/") {
            self.run(sql)
                .with_context(|| format!("creating the view in sql/{path}"))?;
        }
        tx.commit()
    }

    /// One value from a query returning a single row and column.
    pub fn scalar<T: duckdb::types::FromSql>(&self, sql: &str) -> Result<T> {
        self.conn
            .query_row(sql, [], |r| r.get(0))
            .with_context(|| format!("running `{sql}`"))
    }
}

/// Rolls back on drop unless committed, so an early return or error leaves the warehouse as it was.
pub struct Transaction<'a> {
    wh: &'a Warehouse,
    done: bool,
}

impl Transaction<'_> {
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        self.wh.run("COMMIT").context("committing the transaction")
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.wh.conn.execute_batch("ROLLBACK");
        }
    }
}

fn is_lock_error(err: &anyhow::Error) -> bool {
    format!("{err:#}").contains("is locked by another process")
}

/// Turns DuckDB's open failures into one sentence naming the file.
fn explain_open_error(path: &Path, err: duckdb::Error) -> anyhow::Error {
    let text = err.to_string();
    let p = path.display();
    if text.contains("Could not set lock") || text.contains("Conflicting lock") {
        let holder = text
            .split("Conflicting lock is held in")
            .nth(1)
            .map(|s| {
                format!(
                    " (held by{})",
                    s.trim_end_matches('.').split(". See").next().unwrap_or("")
                )
            })
            .unwrap_or_default();
        anyhow!("warehouse {p} is locked by another process{holder}: close it and try again")
    } else if text.contains("not a valid DuckDB database")
        || text.contains("is not a DuckDB database")
        || text.contains("database file with version number")
    {
        anyhow!("{p} is not a DuckDB database (or one written by a newer DuckDB): {text}")
    } else {
        anyhow!("cannot open warehouse {p}: {text}")
    }
}
