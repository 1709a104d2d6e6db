//! Per-minute sensor-log Parquet files, tens of thousands of them, into dwh.data_sample.
use crate::ingest::{Dedup, Spec, Staging};

pub static SENSOR_LOGS: Spec = Spec {
    name: "sensor-logs",
    about: "Per-minute sensor-log Parquet files, into dwh.data_sample",
    extensions: &[".parquet"],
    sql_dir: "datasets/sensor_logs",
    rejects_table: "dwh.data_sample_rejected",
    staging: Staging::ParquetBatches {
        files_per_batch: 2000,
    },
    dedup: Dedup::ReplaceFile,
    reference_file: None,
    after_load: None,
    indexed: None,
    name_is_data: false,
    rejects_are_lines: false, // a changed file replaces its rows and its rejects (replace.sql)
};
