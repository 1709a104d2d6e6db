//! DuckDB tools that know nothing of the application.
pub mod statements;
