//! Stack-Exchange-style vote records (JSON lines, optionally gzipped, or Parquet) into blog_analysis.votes.
use crate::ingest::{Dedup, Spec, Staging};

pub static VOTES: Spec = Spec {
    name: "votes",
    about: "Vote records, JSONL/JSON (optionally gzipped) or Parquet, into blog_analysis.votes",
    extensions: &[
        ".jsonl",
        ".json",
        ".ndjson",
        ".jsonl.gz",
        ".json.gz",
        ".ndjson.gz",
        ".parquet",
    ],
    sql_dir: "datasets/votes",
    rejects_table: "blog_analysis.votes_rejected",
    staging: Staging::StreamedLines {
        count_json_keys: true,
    },
    dedup: Dedup::FirstWinsOnKey("Id"),
    reference_file: None,
    after_load: None,
};
