//! Long-format robot telemetry (Parquet or CSV) into telemetry.readings_raw, then each touched run re-derived.
use crate::ingest::{Dedup, Spec, Staging};

pub static TELEMETRY: Spec = Spec {
    name: "telemetry",
    about: "Robot telemetry, long-format Parquet or CSV, into telemetry.readings .. run_features",
    extensions: &[".parquet", ".csv"],
    sql_dir: "datasets/telemetry",
    rejects_table: "telemetry.readings_rejected",
    staging: Staging::StagedLines,
    dedup: Dedup::ConflictOnKey("(run_uuid, robot_id, field, time)"),
    reference_file: None,
    after_load: Some(&crate::telemetry::derive::DERIVE_RUNS),
    indexed: None,
    name_is_data: false,
    rejects_are_lines: false,
};
