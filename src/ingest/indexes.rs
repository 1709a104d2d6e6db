//! A fact table's indexes, built once after a load's rows rather than kept up row by row (`Spec::indexed`).
//!
//! DuckDB keeps an index up as each row is inserted; built after the rows it is one bulk build (10M votes:
//! 1.8 s to insert with the key against 0.6 s without it, then about 1.3 s for either). DuckDB also keeps
//! up, until the transaction ends, an index that the transaction dropped, so the index must be gone
//! before the load's transaction begins. Hence, for a load into the table while it is **empty** (a first
//! load, the costly one): its indexes are dropped in a transaction of their own (an empty table loses
//! nothing), and they are built again inside the load, after its rows are in: the dataset's `indexes.sql`
//! (`CREATE ... INDEX IF NOT EXISTS`), then any other index the table had (one a user made), from the
//! definition DuckDB kept of it. Whatever happens to the load, they are built once more after it if
//! missing, so a failed or refused load leaves the empty table with its indexes, as it was (a crash in
//! between leaves it without them until the next load of the dataset builds `indexes.sql`'s). A table
//! that has rows keeps its indexes, which the load's inserts keep up.
use crate::duck::warehouse::Warehouse;
use crate::duck::{sql_string, sqlfiles};
use anyhow::{Context, Result};

/// The table, the dataset's `indexes.sql` that defines its indexes, and the definitions of those
/// dropped for this load.
pub struct Indexes<'a> {
    table: &'a str,
    file: String,
    dropped: Vec<(String, String)>,
}

impl<'a> Indexes<'a> {
    pub fn new(table: &'a str, sql_dir: &str) -> Self {
        Indexes {
            table,
            file: format!("{sql_dir}/indexes.sql"),
            dropped: Vec::new(),
        }
    }

    /// Before a load's transaction: drops the table's indexes when it has no row, in a transaction of
    /// its own. Returns how many were dropped.
    pub fn set_aside_if_empty(&mut self, wh: &Warehouse) -> Result<usize> {
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
        for (name, _) in &indexes {
            wh.execute(&format!("DROP INDEX {}.{}", quoted(schema), quoted(name)))
                .with_context(|| {
                    format!("dropping the index {name} of the empty {}", self.table)
                })?;
        }
        tx.commit()?;
        self.dropped = indexes;
        Ok(self.dropped.len())
    }

    /// Builds whichever of the table's indexes is missing: inside the load after its rows are in, and
    /// after the load whatever its outcome. A repeated key among the rows fails it with DuckDB's reason.
    pub fn build_missing(&self, wh: &Warehouse) -> Result<()> {
        wh.execute(sqlfiles::get(&self.file)?).with_context(|| {
            format!("building the indexes of {} (sql/{})", self.table, self.file)
        })?;
        let (schema, _) = self.table.split_once('.').unwrap_or(("main", self.table));
        for (name, definition) in &self.dropped {
            let present: bool = wh.scalar(&format!(
                "SELECT EXISTS (SELECT 1 FROM duckdb_indexes() WHERE database_name = current_database()
                 AND schema_name = {} AND index_name = {})",
                sql_string(schema),
                sql_string(name)
            ))?;
            if !present {
                wh.execute(definition).with_context(|| {
                    format!(
                        "building again the index {name} of {}: {definition}",
                        self.table
                    )
                })?;
            }
        }
        Ok(())
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
        let mut ix = Indexes::new("blog_analysis.votes", "datasets/votes");
        assert_eq!(ix.set_aside_if_empty(&wh).unwrap(), 2);
        assert!(
            names(&wh).is_empty(),
            "dropped before the load's transaction"
        );
        wh.execute(
            "INSERT INTO blog_analysis.votes VALUES (1, 2, 2, TIMESTAMP '2022-01-01', NULL, NULL, 1)",
        )
        .unwrap();
        ix.build_missing(&wh).unwrap();
        assert_eq!(names(&wh), ["by post", "votes_id"], "the user's one too");
        ix.build_missing(&wh).unwrap();
        assert_eq!(names(&wh), ["by post", "votes_id"], "built once");
        let mut again = Indexes::new("blog_analysis.votes", "datasets/votes");
        assert_eq!(again.set_aside_if_empty(&wh).unwrap(), 0);
        assert_eq!(
            names(&wh),
            ["by post", "votes_id"],
            "a table with rows keeps them"
        );
        let duplicate = wh.execute(
            "INSERT INTO blog_analysis.votes VALUES (1, 3, 2, TIMESTAMP '2022-01-02', NULL, NULL, 1)",
        );
        assert!(duplicate.is_err(), "the key refuses a second row of Id 1");
    }
}
