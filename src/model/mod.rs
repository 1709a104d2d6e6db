//! The stock volume model: trained from `market.features` (`train`), described in its own file (`file`),
//! evaluated honestly (`metrics`), served over HTTP (`serve`).
pub mod file;
pub mod metrics;
pub mod serve;
mod strict_json;
pub mod train;
mod write_deadline;

pub use crate::forest::Params;
use metrics::Metrics;
use serde::{Deserialize, Serialize};

/// The target, and the features in the order a prediction takes them (the work sample's choice).
pub const TARGET: &str = "Volume";
pub const FEATURES: [&str; 2] = ["vol_moving_avg", "adj_close_rolling_med"];

/// Everything a model file says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// What the server reports in `X-Model-Version`: training time and the start of the content hash.
    pub model_version: String,
    pub trained_at: String,
    pub target: String,
    pub features: Vec<String>,
    /// 0: a row's own features; 1: those of the symbol's previous trading day.
    pub lag_days: u32,
    pub params: Params,
    pub training_data: Snapshot,
    pub software: Software,
    pub evaluation: Evaluation,
}

/// The data a model learned from: the rows, and the state of the stock loads in the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub warehouse: String,
    pub rows_available: u64,
    pub train_rows: u64,
    pub test_rows: u64,
    pub first_day: String,
    pub test_from: String,
    pub last_day: String,
    pub ledger_files: u64,
    pub ledger_last_load_id: Option<i64>,
    pub ledger_hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Software {
    pub exercise: String,
    pub duckdb: String,
    pub model_format: u32,
}

/// The model and its baselines on the same test rows, and the random-split variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub test: Metrics,
    pub baseline_moving_avg: Metrics,
    pub baseline_linear: Metrics,
    pub linear_coefficients: Vec<f64>,
    pub random_split: Option<Metrics>,
    pub beats_baseline: bool,
}
