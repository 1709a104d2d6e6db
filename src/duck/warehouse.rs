//! The warehouse file: opening it (with clear errors), migrating it, re-creating views, transactions.
use super::sqlfiles::{self, Migration};
use anyhow::{anyhow, bail, Context, Result};
use duckdb::{AccessMode, Config, Connection};
use std::path::{Path, PathBuf};

/// Storage format written into new warehouses: readable by DuckDB 1.3 (May 2025) and every later client
/// (CLI, Python), and faster to write than the 1.0 format (BENCHMARKS.md, sensor logs). EXERCISE_STORAGE_VERSION overrides it
/// (`v1.0.0` for older clients, `latest` for the newest format).
pub const STORAGE_COMPATIBILITY: &str = "v1.3.0";

/// The most memory DuckDB may hold by default: a quarter of the machine's RAM, at most 2 GiB and at least
/// 256 MiB. DuckDB's own default (80% of RAM) is no bound for a tool that runs beside an editor, a
/// browser and a notebook; 2 GiB keeps every benchmark load under 3 GB resident, so it fits an 8 GB
/// laptop (README, "Memory"). Loads that need more spill to disk.
pub const DEFAULT_MEMORY_CAP_MIB: u64 = 2048;

/// The least memory limit a command runs with. Below about 24 MiB DuckDB can run out of memory inside
/// the callback that hands it the loads' batches (`batch_stream`), where its C++ exception cannot be
/// turned into an error and the process aborts; 64 MiB leaves a margin (at 32 MiB a STEDI load ran 25
/// times of 25, at 24 MiB 6 of 25 aborted).
pub const MIN_MEMORY_LIMIT_MIB: u64 = 64;

/// `EXERCISE_MEMORY_LIMIT` when set (a size such as `1GB`, `512MiB`, or a share of the RAM such as
/// `50%`), else the default above; as a DuckDB size. A value that is no size, or is below
/// [`MIN_MEMORY_LIMIT_MIB`], is an error that names it.
pub fn memory_limit() -> Result<String> {
    let Ok(text) = std::env::var("EXERCISE_MEMORY_LIMIT") else {
        let quarter = physical_memory_mib().map_or(DEFAULT_MEMORY_CAP_MIB, |mib| mib / 4);
        return Ok(format!("{}MiB", quarter.clamp(256, DEFAULT_MEMORY_CAP_MIB)));
    };
    let shown = crate::text::printable(&text, 40);
    let bytes = memory_size_bytes(&text).ok_or_else(|| {
        anyhow!("EXERCISE_MEMORY_LIMIT={shown} is not a memory limit (a size such as 1GB or 512MiB, or a share of the RAM such as 50%)")
    })?;
    const MIB: f64 = 1024.0 * 1024.0;
    if bytes < (MIN_MEMORY_LIMIT_MIB as f64) * MIB {
        bail!(
            "EXERCISE_MEMORY_LIMIT={shown} ({:.1} MiB) is below {MIN_MEMORY_LIMIT_MIB} MiB, the least a command runs with (with less, DuckDB can run out of memory where its error cannot be reported)",
            bytes / MIB
        );
    }
    Ok(format!("{}KiB", (bytes / 1024.0).floor()))
}

/// Bytes of a size as DuckDB writes them (`1GB` = 10^9, `1GiB` = 2^30, `512 MB`, `2048kb`, `100000B`),
/// or of a share of the RAM (`50%`, of the memory this process may use). None when it is no such size.
fn memory_size_bytes(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok().filter(|n: &f64| n.is_finite())?;
    let unit = unit.trim().to_ascii_lowercase();
    if unit == "%" {
        let ram = physical_memory_mib()? as f64 * 1024.0 * 1024.0;
        return (number <= 100.0).then_some(ram * number / 100.0);
    }
    let scale: f64 = match unit.as_str() {
        "" | "b" | "byte" | "bytes" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(number * scale)
}

/// The memory this process may use: the machine's RAM (/proc/meminfo), or less when a control group
/// (a container, a systemd slice) sets a lower limit, as DuckDB's own default reckons. None off Linux,
/// where the cap applies.
fn physical_memory_mib() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let ram = line.split_whitespace().nth(1)?.parse::<u64>().ok()? / 1024;
    let cgroup = [
        "/sys/fs/cgroup/memory.max", // cgroup v2 ("max" when unlimited)
        "/sys/fs/cgroup/memory/memory.limit_in_bytes", // cgroup v1 (a huge number when unlimited)
    ]
    .iter()
    .filter_map(|f| std::fs::read_to_string(f).ok()?.trim().parse::<u64>().ok())
    .map(|bytes| bytes / (1024 * 1024))
    .min();
    Some(cgroup.map_or(ram, |limit| limit.min(ram)))
}

pub struct Warehouse {
    pub conn: Connection,
    pub path: PathBuf,
}

/// How a command may use the warehouse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read and write: created when missing, migrated, views re-created. Takes the write lock.
    Write,
    /// Read only, for the tool's own queries (reports, exports): the file is opened read-only, so any
    /// number of readers run side by side; nothing in the warehouse is changed.
    Read,
    /// Read only, for SQL typed by a user (`exercise query` without --write): besides the read-only
    /// file, DuckDB may read or write no other file, load no extension and change no setting.
    Sandboxed,
}

impl Warehouse {
    /// Opens (creating if needed) for writing, applies pending migrations and re-creates the views.
    pub fn open(path: &Path) -> Result<Self> {
        let wh = Self::connect(path, Access::Write)?;
        wh.migrate()?;
        wh.recreate_views()?;
        Ok(wh)
    }

    /// Opens for writing without migrating (for `exercise migrate`, which reports what it applies).
    pub fn open_unmigrated(path: &Path) -> Result<Self> {
        Self::connect(path, Access::Write)
    }

    /// Opens an existing warehouse read-only, after checking that its schema and views are this build's:
    /// a reader does no schema work, so it never needs the write lock. A missing file, a file that is not
    /// a warehouse, or one that needs migrating is a clear error saying what to run.
    pub fn open_reader(path: &Path, access: Access) -> Result<Self> {
        debug_assert!(access != Access::Write);
        refuse_query_mark(path)?;
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                bail!("{} is a directory, not a warehouse file", path.display())
            }
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => bail!(
                "no warehouse at {}: `exercise migrate` creates an empty one, `exercise ingest-data` loads data into one",
                path.display()
            ),
            Err(err) => bail!("cannot open warehouse {}: {err}", path.display()),
        }
        let wh = Self::connect(path, access)?;
        wh.check_current()?;
        Ok(wh)
    }

    /// Refuses a warehouse whose migrations or views are not this build's, without changing it.
    fn check_current(&self) -> Result<()> {
        let p = self.path.display();
        let has_ledger: i64 = self.scalar(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()
             AND schema_name = 'meta' AND table_name = 'schema_migrations'",
        )?;
        if has_ledger == 0 {
            bail!(
                "{p} is a DuckDB file but not an exercise warehouse (it has no meta.schema_migrations): \
                 check --db, or run `exercise --db {p} migrate` to make it one"
            );
        }
        let known = sqlfiles::migrations()?;
        let pending = verify(&self.applied_migrations()?, &known)
            .map_err(|e| anyhow!("warehouse {p}: {e}"))?;
        if !pending.is_empty() {
            let names: Vec<&str> = pending.iter().map(|m| m.name).collect();
            bail!(
                "warehouse {p} needs migrating ({} pending: {}): run `exercise --db {p} migrate` first",
                names.len(),
                names.join(", ")
            );
        }
        let views: Option<String> = self
            .conn
            .query_row(
                "SELECT max_by(checksum, created_at) FROM meta.schema_views",
                [],
                |r| r.get(0),
            )
            .context("reading meta.schema_views")?;
        if views.as_deref() != Some(views_checksum().as_str()) {
            bail!(
                "the views of warehouse {p} are not this build's: run `exercise --db {p} migrate` to re-create them"
            );
        }
        Ok(())
    }

    fn connect(path: &Path, access: Access) -> Result<Self> {
        refuse_schema_name(path)?;
        refuse_query_mark(path)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.is_dir() {
                bail!(
                    "cannot open warehouse {}: folder {} does not exist",
                    path.display(),
                    parent.display()
                );
            }
        }
        let mode = match access {
            Access::Write => AccessMode::ReadWrite,
            Access::Read | Access::Sandboxed => AccessMode::ReadOnly,
        };
        let storage = std::env::var("EXERCISE_STORAGE_VERSION")
            .unwrap_or_else(|_| STORAGE_COMPATIBILITY.to_string());
        // Extensions are never installed or loaded behind the user's back (json and parquet are built in):
        // a SQLite file given as --db is refused instead of fetching the sqlite extension.
        let mut config = Config::default()
            .access_mode(mode)
            .and_then(|c| c.with("storage_compatibility_version", &storage))
            .and_then(|c| c.with("autoinstall_known_extensions", "false"))
            .and_then(|c| c.enable_autoload_extension(false))
            .with_context(|| {
                format!("building the DuckDB configuration (storage version {storage})")
            })?;
        // DuckDB's memory limit: above it, DuckDB spills to a temp folder beside the warehouse. The
        // sandbox may write no file, so it cannot spill: a cap would only turn a big query into an
        // out-of-memory error, and it keeps DuckDB's default unless EXERCISE_MEMORY_LIMIT is set.
        let explicit = std::env::var_os("EXERCISE_MEMORY_LIMIT").is_some();
        if access != Access::Sandboxed || explicit {
            let limit = memory_limit()?;
            config = config
                .with("memory_limit", &limit)
                .with_context(|| format!("setting DuckDB's memory limit to {limit}"))?;
        }
        if access == Access::Sandboxed {
            config = config
                .enable_external_access(false)
                .context("building the read-only sandbox's configuration")?;
        }
        let conn =
            Connection::open_with_flags(path, config).map_err(|e| explain_open_error(path, e))?;
        if access == Access::Sandboxed {
            // DuckDB allows the warehouse's own files (the database, its WAL) even without external
            // access, so `COPY ... TO 'warehouse.db'` would still overwrite it: once the file is open,
            // no local file may be opened at all, and no setting changed after that.
            conn.execute_batch(
                "SET disabled_filesystems = 'LocalFileSystem'; SET lock_configuration = true;",
            )
            .map_err(|e| anyhow!("sealing the read-only sandbox: {e}"))?;
        }
        if access == Access::Write {
            super::stream::register(&conn)?;
        }
        Ok(Warehouse {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Executes `sql` as a batch of statements.
    pub fn execute(&self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(|e| anyhow!("{e}"))
    }

    /// Appends a batch to `table` in one call (a statement per row cost 0.3 ms each: seconds for
    /// thousands of files); `what` says what the rows are, for the error.
    pub fn append(
        &self,
        table: &str,
        batch: duckdb::arrow::record_batch::RecordBatch,
        what: &str,
    ) -> Result<()> {
        let mut appender = self.conn.appender(table)?;
        appender.append_record_batch(batch)?;
        appender.flush().with_context(|| what.to_string())
    }

    /// Runs an embedded SQL file.
    pub fn execute_file(&self, path: &str) -> Result<()> {
        self.execute(sqlfiles::get(path)?)
            .with_context(|| format!("running sql/{path}"))
    }

    pub fn begin(&self) -> Result<Transaction<'_>> {
        self.execute("BEGIN TRANSACTION")
            .context("starting a transaction")?;
        Ok(Transaction {
            wh: self,
            done: false,
        })
    }

    /// Applies every migration not yet recorded, each in its own transaction, and refuses a warehouse
    /// whose applied migrations were edited afterwards or are unknown to this build.
    pub fn migrate(&self) -> Result<Vec<&'static str>> {
        self.execute_file("bootstrap.sql")?;
        let known = sqlfiles::migrations()?;
        let pending = verify(&self.applied_migrations()?, &known)
            .map_err(|e| anyhow!("warehouse {}: {e}", self.path.display()))?;
        let mut newly = Vec::new();
        for m in pending {
            self.apply_migration(m)?;
            newly.push(m.name);
        }
        self.build_indexes_set_aside()?;
        Ok(newly)
    }

    /// Builds every index listed in `meta.indexes_set_aside` (dropped for a load into its empty table:
    /// `ingest::indexes`) that is missing, from its definition, and clears the list. Run by each load
    /// once its rows are in and after it, and by every command that writes before anything else, so a
    /// load killed after setting indexes aside leaves them missing only until the next write.
    pub fn build_indexes_set_aside(&self) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT s.table_name, s.index_name, s.definition FROM meta.indexes_set_aside s
             WHERE NOT EXISTS (SELECT 1 FROM duckdb_indexes() i
                               WHERE i.database_name = current_database()
                                 AND i.schema_name || '.' || i.index_name
                                     = split_part(s.table_name, '.', 1) || '.' || s.index_name)",
        )?;
        let missing = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()
            .context("reading meta.indexes_set_aside")?;
        for (table, index, definition) in missing {
            self.execute(&definition).with_context(|| {
                format!("building again the index {index} of {table}, set aside for a load: {definition}")
            })?;
        }
        self.execute("DELETE FROM meta.indexes_set_aside")
            .context("clearing meta.indexes_set_aside")
    }

    fn applied_migrations(&self) -> Result<Vec<Applied>> {
        let mut stmt = self.conn.prepare(
            "SELECT version, name, checksum FROM meta.schema_migrations ORDER BY version",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Applied {
                version: r.get(0)?,
                name: r.get(1)?,
                checksum: r.get(2)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()
            .context("reading meta.schema_migrations")
    }

    fn apply_migration(&self, m: &Migration) -> Result<()> {
        let tx = self.begin()?;
        self.execute(m.sql)
            .with_context(|| format!("applying migration {}", m.name))?;
        self.conn
            .execute(
                "INSERT INTO meta.schema_migrations VALUES (?, ?, ?, now()::TIMESTAMP)",
                duckdb::params![m.version, m.name, m.checksum],
            )
            .with_context(|| format!("recording migration {}", m.name))?;
        tx.commit()
    }

    /// Re-creates every view from `sql/views/**.sql`, each after the views it reads, in one transaction, and records
    /// which definitions they are (meta.schema_views) for read-only commands to check.
    pub fn recreate_views(&self) -> Result<()> {
        let tx = self.begin()?;
        for (path, sql) in sqlfiles::views_in_order()? {
            self.execute(sql)
                .with_context(|| format!("creating the view in sql/{path}"))?;
        }
        self.execute("DELETE FROM meta.schema_views")?;
        self.conn
            .execute(
                "INSERT INTO meta.schema_views VALUES (?, now()::TIMESTAMP)",
                [views_checksum()],
            )
            .context("recording the views' checksum")?;
        tx.commit()
    }

    /// One value from a query returning a single row and column.
    pub fn scalar<T: duckdb::types::FromSql>(&self, sql: &str) -> Result<T> {
        self.conn
            .query_row(sql, [], |r| r.get(0))
            .with_context(|| format!("running `{sql}`"))
    }
}

/// A migration recorded in meta.schema_migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub version: i32,
    pub name: String,
    pub checksum: String,
}

/// Checks the applied migrations against the ones this build knows and returns those still to apply,
/// in order. An applied migration that is unknown, edited since (its checksum differs) or recorded twice
/// is an error: the warehouse and the build disagree on the schema's history.
pub fn verify<'a>(applied: &[Applied], known: &'a [Migration]) -> Result<Vec<&'a Migration>> {
    for (i, a) in applied.iter().enumerate() {
        if applied[..i].iter().any(|b| b.version == a.version) {
            bail!(
                "migration version {} is recorded twice in meta.schema_migrations ({}): the history is corrupt",
                a.version,
                a.name
            );
        }
        let Some(m) = known.iter().find(|m| m.version == a.version) else {
            bail!(
                "it has migration {} which this build of exercise does not know: use a newer build",
                a.name
            );
        };
        if m.checksum != a.checksum {
            bail!(
                "migration {} was edited after it was applied (checksum {} now, {} when applied): \
                 put the change in a new migration instead",
                m.name,
                m.checksum,
                a.checksum
            );
        }
    }
    Ok(known
        .iter()
        .filter(|m| !applied.iter().any(|a| a.version == m.version))
        .collect())
}

/// One checksum over every view file (path and text), in path order.
pub fn views_checksum() -> String {
    let all: String = sqlfiles::under("views/")
        .iter()
        .map(|(path, sql)| format!("{path}\n{sql}\n"))
        .collect();
    sqlfiles::checksum(&all)
}

/// Rolls back on drop unless committed, so an early return or error leaves the warehouse as it was.
pub struct Transaction<'a> {
    wh: &'a Warehouse,
    done: bool,
}

impl Transaction<'_> {
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        self.wh
            .execute("COMMIT")
            .context("committing the transaction")
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.wh.conn.execute_batch("ROLLBACK");
        }
    }
}

/// DuckDB names a database after its file (`telemetry.db` is catalog `telemetry`), and a catalog named
/// like one of the warehouse's schemas makes every `telemetry.x` ambiguous: refused up front, with why.
/// DuckDB takes what follows a '?' in a database path as options of the path: its write-ahead log for
/// `x?y.db` is `x.wal?y.db`, so a read-only open fails and a write may log beside the wrong name.
fn refuse_query_mark(path: &Path) -> Result<()> {
    if path.to_string_lossy().contains('?') {
        bail!(
            "a warehouse path cannot contain '?' ({}): DuckDB reads what follows it as options, not as part of the name; rename or move the file",
            crate::text::printable(&path.to_string_lossy(), 200)
        );
    }
    Ok(())
}

fn refuse_schema_name(path: &Path) -> Result<()> {
    let Some(stem) = path.file_stem().map(|s| s.to_string_lossy().to_lowercase()) else {
        return Ok(());
    };
    let schemas = sqlfiles::under("")
        .into_iter()
        .filter(|(p, _)| p.starts_with("migrations/") || *p == "bootstrap.sql")
        .flat_map(|(_, text)| {
            text.lines()
                .filter_map(|l| l.trim().strip_prefix("CREATE SCHEMA "))
                .map(|rest| {
                    rest.trim_start_matches("IF NOT EXISTS ")
                        .trim_end_matches(';')
                        .trim()
                        .to_lowercase()
                })
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>();
    if schemas.contains(&stem) {
        bail!(
            "a warehouse file cannot be named after one of its schemas ({}): DuckDB would take `{stem}.x` for the file, not the schema; choose another name",
            path.display()
        );
    }
    Ok(())
}

/// Does the file begin with these bytes?
fn starts_with_bytes(path: &Path, magic: &[u8]) -> bool {
    let mut head = vec![0u8; magic.len()];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && head == magic
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
    } else if starts_with_bytes(path, b"SQLite format 3\0") {
        anyhow!("{p} is not a DuckDB warehouse (it looks like a SQLite database): check --db")
    } else if text.contains("Loading external extensions is disabled") {
        anyhow!(
            "{p} is not a DuckDB warehouse (DuckDB would need an extension to open it): check --db"
        )
    } else if text.contains("not a valid DuckDB database")
        || text.contains("is not a DuckDB database")
        || text.contains("database file with version number")
    {
        anyhow!("{p} is not a DuckDB database (or one written by a newer DuckDB): {text}")
    } else {
        anyhow!("cannot open warehouse {p}: {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<Migration> {
        (1..=3)
            .map(|v| Migration {
                version: v,
                name: ["V001__a.sql", "V002__b.sql", "V003__c.sql"][v as usize - 1],
                sql: "SELECT 1",
                checksum: format!("sum{v}"),
            })
            .collect()
    }

    fn applied(version: i32, checksum: &str) -> Applied {
        Applied {
            version,
            name: format!("V{version:03}__x.sql"),
            checksum: checksum.into(),
        }
    }

    #[test]
    fn verify_returns_the_pending_migrations_in_order() {
        let known = known();
        let pending = verify(&[applied(1, "sum1")], &known).unwrap();
        let names: Vec<_> = pending.iter().map(|m| m.name).collect();
        assert_eq!(names, ["V002__b.sql", "V003__c.sql"]);
        assert_eq!(verify(&[], &known).unwrap().len(), 3);
        let all = [applied(1, "sum1"), applied(2, "sum2"), applied(3, "sum3")];
        assert!(verify(&all, &known).unwrap().is_empty());
    }

    #[test]
    fn verify_refuses_an_edited_migration() {
        let err = verify(&[applied(1, "sum1"), applied(2, "other")], &known()).unwrap_err();
        assert!(
            err.to_string()
                .contains("V002__b.sql was edited after it was applied"),
            "{err}"
        );
    }

    #[test]
    fn verify_refuses_an_unknown_migration() {
        let err = verify(&[applied(1, "sum1"), applied(9, "sum9")], &known()).unwrap_err();
        assert!(
            err.to_string().contains("V009__x.sql which this build"),
            "{err}"
        );
    }

    #[test]
    fn verify_refuses_a_version_recorded_twice() {
        let err = verify(&[applied(1, "sum1"), applied(1, "sum1")], &known()).unwrap_err();
        assert!(err.to_string().contains("recorded twice"), "{err}");
    }
}
