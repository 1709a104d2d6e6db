//! A fact table's indexes, built once after a load's rows rather than kept up row by row (`Spec::indexed`).
//!
//! DuckDB keeps an index up as each row is inserted; built after the rows it is one bulk build (10M votes:
//! 1.8 s to insert with the key against 0.6 s without it, then about 1.3 s for either). DuckDB also keeps
//! up, until the transaction ends, an index that the transaction dropped, so the index must be gone
//! before the load's transaction begins. Hence, for a load into the table while it is **empty** (a first
//! load, the costly one): its indexes are dropped in a transaction of their own that lists each, with
//! DuckDB's definition of it, in `meta.indexes_set_aside` (an empty table loses nothing), and they are
//! built again inside the load, after its rows are in: the dataset's `indexes.sql` (`CREATE ... INDEX IF
//! NOT EXISTS`), then those listed (one a user made too). Whatever happens to the load, the missing ones
//! are built once more after it, so a failed or refused load leaves the empty table with its indexes, as
//! it was; should the process die in between, the next command that writes builds them first
//! (`Warehouse::build_indexes_set_aside`, from `migrate`). A unique index built in a transaction checks
//! its rows at commit. A table
//! that has rows keeps its indexes, which the load's inserts keep up.
use crate::duck::warehouse::Warehouse;
use crate::duck::{sql_string, sqlfiles};
use anyhow::{Context, Result};

/// The table and the dataset's `indexes.sql` that defines its indexes.
pub struct Indexes<'a> {
    table: &'a str,
    file: String,
}

impl<'a> Indexes<'a> {
    pub fn new(table: &'a str, sql_dir: &str) -> Self {
        Indexes {
            table,
            file: format!("{sql_dir}/indexes.sql"),
        }
    }

    /// Before a load's transaction: drops the table's indexes when it has no row, in a transaction of
    /// its own that lists each with its definition in `meta.indexes_set_aside`. Returns how many.
    pub fn set_aside_if_empty(&self, wh: &Warehouse) -> Result<usize> {
        let (schema, table) = self.table.split_once('.').unwrap_or(("main", self.table));
        let empty: bool =
            wh.scalar(&format!("SELECT NOT EXISTS (SELECT 1 FROM {})", self.table))?;
        if !empty {
            return Ok(0);
        }
        let mut stmt = wh.conn.prepare(
            "SELECT index_name, sql FROM duckdb_indexes()
             WHERE database_name = current_database() AND schema_name = ? AND table_name = ?",
        )?;
        let indexes = stmt
            .query_map([schema, table], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("listing the indexes of {}", self.table))?;
        if indexes.is_empty() {
            return Ok(0);
        }
        let tx = wh.begin()?;
        for (name, definition) in &indexes {
            wh.execute(&format!(
                "INSERT INTO meta.indexes_set_aside VALUES ({}, {}, {});
                 DROP INDEX {}.{}",
                sql_string(self.table),
                sql_string(name),
                sql_string(definition),
                quoted(schema),
                quoted(name)
            ))
            .with_context(|| {
                format!("setting aside the index {name} of the empty {}", self.table)
            })?;
        }
        tx.commit()?;
        Ok(indexes.len())
    }

    /// Builds whichever of the table's indexes is missing (`indexes.sql`, then those set aside): inside
    /// the load once its rows are in, and after the load whatever its outcome. A unique index built in
    /// a transaction checks its rows when the transaction commits: a repeated key fails the commit.
    pub fn build_missing(&self, wh: &Warehouse) -> Result<()> {
        wh.execute(sqlfiles::get(&self.file)?).with_context(|| {
            format!("building the indexes of {} (sql/{})", self.table, self.file)
        })?;
        wh.build_indexes_set_aside()
    }
}

/// A name as a DuckDB identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The indexes of blog_analysis.votes, by name.
    fn names(wh: &Warehouse) -> Vec<String> {
        let mut stmt = wh
            .conn
            .prepare(
                "SELECT index_name FROM duckdb_indexes() WHERE schema_name = 'blog_analysis'
                 AND table_name = 'votes' ORDER BY 1",
            )
            .unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn an_empty_tables_indexes_are_set_aside_and_built_again_a_filled_tables_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(&dir.path().join("w.db")).unwrap();
        wh.execute("CREATE INDEX \"by post\" ON blog_analysis.votes (PostId)")
            .unwrap();
        assert_eq!(names(&wh), ["by post", "votes_id"]);
        let ix = Indexes::new("blog_analysis.votes", "datasets/votes");
        assert_eq!(ix.set_aside_if_empty(&wh).unwrap(), 2);
        let listed: i64 = wh
            .scalar("SELECT count(*) FROM meta.indexes_set_aside")
            .unwrap();
        assert_eq!(listed, 2, "each listed with its definition");
        assert!(
            names(&wh).is_empty(),
            "dropped before the load's transaction"
        );
        wh.execute(
            "INSERT INTO blog_analysis.votes VALUES (1, 2, 2, TIMESTAMP '2022-01-01', NULL, NULL, 1, 1)",
        )
        .unwrap();
        ix.build_missing(&wh).unwrap();
        assert_eq!(names(&wh), ["by post", "votes_id"], "the user's one too");
        let listed: i64 = wh
            .scalar("SELECT count(*) FROM meta.indexes_set_aside")
            .unwrap();
        assert_eq!(listed, 0, "cleared once built");
        ix.build_missing(&wh).unwrap();
        assert_eq!(names(&wh), ["by post", "votes_id"], "built once");
        let again = Indexes::new("blog_analysis.votes", "datasets/votes");
        assert_eq!(again.set_aside_if_empty(&wh).unwrap(), 0);
        assert_eq!(
            names(&wh),
            ["by post", "votes_id"],
            "a table with rows keeps them"
        );
        let duplicate = wh.execute(
            "INSERT INTO blog_analysis.votes VALUES (1, 3, 2, TIMESTAMP '2022-01-02', NULL, NULL, 1, 2)",
        );
        assert!(duplicate.is_err(), "the key refuses a second row of Id 1");
    }

    #[test]
    fn indexes_set_aside_by_a_load_that_died_are_built_by_the_next_open_for_writing() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("w.db");
        {
            let wh = Warehouse::open(&db).unwrap();
            wh.execute("CREATE INDEX \"by post\" ON blog_analysis.votes (PostId)")
                .unwrap();
            let ix = Indexes::new("blog_analysis.votes", "datasets/votes");
            assert_eq!(ix.set_aside_if_empty(&wh).unwrap(), 2);
            // the process dies here: nothing builds them again
        }
        let wh = Warehouse::open(&db).unwrap();
        assert_eq!(names(&wh), ["by post", "votes_id"]);
        let listed: i64 = wh
            .scalar("SELECT count(*) FROM meta.indexes_set_aside")
            .unwrap();
        assert_eq!(listed, 0);
    }
}
