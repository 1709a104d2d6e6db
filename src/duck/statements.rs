//! How many statements a SQL text holds, by DuckDB's own parser, without running any of them.
use anyhow::{bail, Result};
use duckdb::ffi;
use std::ffi::{CStr, CString};
use std::ptr;

/// The number of statements in `sql` as DuckDB splits it (`;` inside strings, quoted names and comments
/// does not count), or DuckDB's parser error. Nothing is executed: the text is parsed on a private
/// in-memory database.
pub fn count(sql: &str) -> Result<usize> {
    let text =
        CString::new(sql).map_err(|_| anyhow::anyhow!("the SQL text contains a NUL byte"))?;
    // SAFETY: every handle is created here, checked before use, and destroyed exactly once below, in
    // reverse order of creation, whatever the outcome.
    unsafe {
        let mut db: ffi::duckdb_database = ptr::null_mut();
        if ffi::duckdb_open(ptr::null(), &mut db) != ffi::DuckDBSuccess {
            bail!("cannot start DuckDB's parser");
        }
        let mut con: ffi::duckdb_connection = ptr::null_mut();
        if ffi::duckdb_connect(db, &mut con) != ffi::DuckDBSuccess {
            ffi::duckdb_close(&mut db);
            bail!("cannot start DuckDB's parser");
        }
        let mut extracted: ffi::duckdb_extracted_statements = ptr::null_mut();
        let n = ffi::duckdb_extract_statements(con, text.as_ptr(), &mut extracted);
        let result = if n == 0 {
            let message = ffi::duckdb_extract_statements_error(extracted);
            let reason = if message.is_null() {
                "no statement".to_string()
            } else {
                CStr::from_ptr(message).to_string_lossy().into_owned()
            };
            Err(anyhow::anyhow!("{reason}"))
        } else {
            Ok(n as usize)
        };
        ffi::duckdb_destroy_extracted(&mut extracted);
        ffi::duckdb_disconnect(&mut con);
        ffi::duckdb_close(&mut db);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn semicolons_in_strings_names_and_comments_do_not_split() {
        assert_eq!(count("SELECT 1").unwrap(), 1);
        assert_eq!(count("SELECT 1;").unwrap(), 1);
        assert_eq!(count("SELECT ';' AS \"a;b\" -- c;d\n").unwrap(), 1);
        assert_eq!(count("SELECT 1 /* ; */").unwrap(), 1);
        assert_eq!(count("SELECT 1; SELECT 2").unwrap(), 2);
        assert_eq!(count("CREATE TABLE t (a INT); DROP TABLE t;").unwrap(), 2);
    }

    #[test]
    fn a_parse_error_is_duckdbs_reason_and_empty_text_is_no_statement() {
        assert!(count("SELEC 1")
            .unwrap_err()
            .to_string()
            .contains("syntax error"));
        assert!(count("").is_err());
        assert!(count(" ; ").is_err());
    }
}
