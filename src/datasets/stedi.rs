//! STEDI customer/, accelerometer/ and step_trainer/ JSON lines into the landing zone (trusted and curated are views).
use crate::ingest::{Dedup, Spec, Staging};

pub static STEDI: Spec = Spec {
    name: "stedi",
    about: "STEDI customer/, accelerometer/ and step_trainer/ JSON, into the landing, trusted and curated zones",
    extensions: &[".json", ".jsonl", ".json.gz", ".jsonl.gz"],
    sql_dir: "datasets/stedi",
    rejects_table: "stedi_landing.rejected",
    staging: Staging::StreamedLines {
        count_json_keys: true,
    },
    dedup: Dedup::ExactRecord,
    reference_file: None,
    after_load: None,
};
