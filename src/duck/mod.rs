//! DuckDB tools that know nothing of the application: the warehouse file (open, migrate, views,
//! transactions), the embedded SQL files, the batch stream table function, statement counting, quoting,
//! DuckDB's error reasons and timing. Nothing here imports from outside `duck`, `text` or `par`.
pub mod sqlfiles;
pub mod statements;
pub mod stream;
pub mod warehouse;

use anyhow::Result;
use std::time::Instant;

/// Quotes a string as a SQL literal.
pub fn sql_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Quotes a name (schema, table, column) as a SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// DuckDB's reason in an error message: its first line (not the SQL excerpt under it), without the
/// driver's "Error code 1" trailer.
pub fn duckdb_reason(message: &str) -> &str {
    message
        .lines()
        .next()
        .unwrap_or(message)
        .trim_end_matches(": Error code 1: Unknown error code")
}

/// Whether EXERCISE_TIMINGS asks for timings: 1, true, yes or on (any case); empty or anything else is off.
pub fn timings_on() -> bool {
    std::env::var("EXERCISE_TIMINGS").is_ok_and(|v| {
        ["1", "true", "yes", "on"]
            .iter()
            .any(|t| v.trim().eq_ignore_ascii_case(t))
    })
}

/// Runs `f`; with EXERCISE_TIMINGS on, prints how long it took to stderr.
pub fn timed<T>(label: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = Instant::now();
    let result = f();
    if timings_on() {
        eprintln!(
            "timing: {label:<24} {:>8.3} s",
            started.elapsed().as_secs_f64()
        );
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_doubles_the_quote_character() {
        assert_eq!(sql_string("it's"), "'it''s'");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(
            duckdb_reason("IO Error: x\nLINE 1: SELECT: Error code 1: Unknown error code"),
            "IO Error: x"
        );
    }
}
