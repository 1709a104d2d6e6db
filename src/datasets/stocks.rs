//! ETF and stock price CSVs (etfs/, stocks/, symbols_valid_meta.csv) into market.prices and market.features.
use crate::ingest::{Dedup, Spec, Staging};

pub static STOCKS: Spec = Spec {
    name: "stocks",
    about: "ETF and stock CSVs (etfs/, stocks/, symbols_valid_meta.csv), into market.prices and market.features",
    extensions: &[".csv"],
    sql_dir: "datasets/stocks",
    rejects_table: "market.prices_rejected",
    staging: Staging::StreamedLines {
        count_json_keys: false,
        typer: None,
    },
    dedup: Dedup::ConflictOnKey("(Symbol, Date)"),
    reference_file: Some("symbols_valid_meta.csv"),
    after_load: Some(&crate::stocks::ROLLING_FEATURES),
};
