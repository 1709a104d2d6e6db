//! The command line, as clap derive types. Every subcommand has `--help`.
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "exercise",
    version,
    about = "Load raw data files into a typed, deduplicated DuckDB warehouse and query it",
    long_about = "Load raw data files (JSONL, Parquet, CSV) into typed, deduplicated fact tables of an \
                  embedded DuckDB warehouse, driven by versioned SQL files, and answer questions with views."
)]
pub struct Cli {
    /// The warehouse file
    #[arg(
        long,
        global = true,
        env = "WAREHOUSE_DB",
        default_value = "warehouse.db"
    )]
    pub db: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Apply pending schema migrations (every other command does this first)
    Migrate,
    /// Load data files into the warehouse: staged, typed, deduplicated, rejects quarantined
    IngestData(IngestArgs),
    /// Re-create blog_analysis.outlier_weeks and print it
    Outliers(FormatArgs),
    /// Run one SQL statement and print its result (read-only unless --write)
    Query(QueryArgs),
    /// Show migrations, tables with row counts, recent loads and rejects
    Status,
    /// The exercise reviewer's ingestion checks, against this warehouse
    CheckIngestion(CheckArgs),
    /// The exercise reviewer's outlier checks, against this warehouse
    CheckOutliers,
    /// Download the votes archive into uncommitted/ and extract votes.jsonl
    FetchData(FetchArgs),
    /// Write realistic synthetic data files for demos and benchmarks
    Generate(GenerateArgs),
    /// Write a warehouse table or view as Parquet (hive-partitioned with --partition-by)
    Export(ExportArgs),
    /// Publish every fact table and mart as a hive-partitioned Parquet lake with a manifest (incremental)
    Publish(PublishArgs),
    /// Row counts of every STEDI table in the landing, trusted and curated zones
    Stedi(FormatArgs),
    /// Robot telemetry: one line per run with its statistics (telemetry.run_statistics)
    Runs(FormatArgs),
    /// Robot telemetry: the aligned feature table of one run (telemetry.run_features)
    Run(RunArgs),
    /// Robot telemetry: positions, forces and speed of both robots over one run, as a PNG
    Plot(PlotArgs),
    /// Run the data tests declared in sql/tests/ (also run inside every ingest-data)
    Check(CheckDataArgs),
    /// Stocks: train the volume model (a random forest) on market.features and record the run
    Train(TrainArgs),
    /// Stocks: every training run with its metrics (market.model_runs)
    Models(FormatArgs),
    /// Stocks: serve a trained volume model over HTTP
    Serve(ServeArgs),
}

#[derive(Args, Debug)]
pub struct CheckDataArgs {
    /// Only the tests of this dataset
    #[arg(long, value_parser = dataset_names())]
    pub dataset: Option<String>,
    /// Only tests whose id (schema.relation.test) contains this text; with '*' (any characters), the whole
    /// id must match the pattern (e.g. 'market.*' or '*unique*')
    #[arg(long)]
    pub select: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: CheckFormat,
    /// Write the report to this file instead of standard output
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Also run the tests in this folder (<schema>/<relation>.toml files, as sql/tests/)
    #[arg(long)]
    pub tests: Option<PathBuf>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// One line per test for people
    Table,
    /// One JSON object per test and line
    Json,
    /// JUnit XML for CI systems
    Junit,
}

#[derive(Args, Debug)]
pub struct PublishArgs {
    /// The lake's folder (created when missing; a later publish rewrites only what changed)
    #[arg(long)]
    pub to: PathBuf,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Trees in the forest
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub trees: u32,
    /// Deepest level of a leaf (the root is level 0); bounds the model's size
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=30))]
    pub max_depth: u32,
    /// Fewest training rows in a leaf
    // The bounds are those of market.model_runs' columns (INTEGER, BIGINT): a larger value would be
    // refused only when the run is recorded, after training and writing the model file.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=i32::MAX as u64))]
    pub min_samples_leaf: u64,
    /// Rows drawn (with replacement) for each tree, as scikit-learn's max_samples
    #[arg(long, default_value_t = 500_000, value_parser = clap::value_parser!(u64).range(1..=i64::MAX as u64))]
    pub max_samples: u64,
    /// Grow every tree on all training rows once, without bootstrap sampling
    #[arg(long)]
    pub no_bootstrap: bool,
    /// Random seed: the same seed and data give the same model
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// First day of the test period (YYYY-MM-DD); default: the last 20% of the date range
    #[arg(long)]
    pub test_from: Option<chrono::NaiveDate>,
    /// Use the features of the symbol's trading day this many rows earlier (1: the previous day's)
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=365))]
    pub lag: u32,
    /// Skip the second model trained on a random 80/20 split (the work sample's method)
    #[arg(long)]
    pub no_random_split: bool,
    /// The model file; default: models/volume-<version>.model beside the warehouse
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The model file; default: the newest in market.model_runs
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Address to listen on (port 0: any free port, printed at start)
    #[arg(long, default_value = "127.0.0.1:8000")]
    pub addr: std::net::SocketAddr,
    /// Seconds a client has to send a request's head (an idle connection is closed after as long), and
    /// as many again for its body
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub request_timeout: u64,
    /// Connections served at once; more wait until one closes (a request body is at most 2 MiB, so
    /// this also bounds the memory requests hold). Each is a file descriptor: keep it under `ulimit -n`
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// Seconds a stop (Ctrl-C, SIGTERM) waits for requests in flight before it drops their connections
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=3_600))]
    pub stop_timeout: u64,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum RunFormat {
    /// Aligned columns for people
    #[default]
    Table,
    /// RFC 4180 CSV with a header row
    Csv,
    /// Apache Parquet (needs --output)
    Parquet,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The run's id (an unsigned 64-bit number, as `exercise runs` lists it)
    pub run_uuid: u64,
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: RunFormat,
    /// Write to this file instead of standard output
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// The run's id (an unsigned 64-bit number, as `exercise runs` lists it)
    pub run_uuid: u64,
    /// The PNG file to write
    #[arg(long)]
    pub output: PathBuf,
    /// Picture width in pixels
    #[arg(long, default_value_t = 1600)]
    pub width: u32,
    /// Picture height in pixels
    #[arg(long, default_value_t = 1200)]
    pub height: u32,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The table or view, as schema.name (e.g. market.features)
    pub table: String,
    /// Output directory
    #[arg(long)]
    pub to: PathBuf,
    /// Write one folder per value of this column (COLUMN=value/), as Hive partitioning does
    #[arg(long)]
    pub partition_by: Option<String>,
}

/// The `--dataset` values, with each dataset's description, from the registry.
fn dataset_names() -> clap::builder::PossibleValuesParser {
    crate::datasets::ALL
        .iter()
        .map(|spec| clap::builder::PossibleValue::new(spec.name).help(spec.about))
        .collect::<Vec<_>>()
        .into()
}

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Files, directories or glob patterns to load
    #[arg(default_value = "uncommitted/votes.jsonl")]
    pub paths: Vec<String>,
    /// Which dataset the files belong to [default: telemetry when the first Parquet or CSV file has the
    /// telemetry columns (time, value, field, robot_id, run_uuid, sensor_type), otherwise votes]
    #[arg(long, value_parser = dataset_names())]
    pub dataset: Option<String>,
    /// Re-read files even when the ledger says they are unchanged
    #[arg(long)]
    pub force: bool,
    /// Exit with success even when up to this many rows were rejected (they are quarantined either way)
    #[arg(long, default_value_t = 0)]
    pub max_rejects: u64,
    /// Telemetry only: the run_features time grid in milliseconds (kept in telemetry.settings; changing
    /// it recomputes every run)
    #[arg(long)]
    pub grid_ms: Option<u32>,
    /// Do not run the dataset's data tests inside the load (they run by default; a failing error-severity
    /// test rolls the load back)
    #[arg(long)]
    pub no_check: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Aligned columns for people
    #[default]
    Table,
    /// RFC 4180 CSV with a header row
    Csv,
    /// One JSON object per line
    Json,
}

#[derive(Args, Debug)]
pub struct FormatArgs {
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct QueryArgs {
    /// The SQL statement; read from standard input when omitted
    pub sql: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
    /// Allow statements that change the warehouse
    #[arg(long)]
    pub write: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The data file the checks ingest
    #[arg(long, default_value = "uncommitted/votes.jsonl")]
    pub data: PathBuf,
}

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// Where the votes archive is (.zip, .gz or plain JSONL)
    #[arg(long, env = "EXERCISE_DATA_URL")]
    pub url: Option<String>,
    /// Folder to put votes.jsonl in
    #[arg(long, default_value = "uncommitted")]
    pub dir: PathBuf,
    /// Give up on a connection that does not answer within this many seconds
    #[arg(long, default_value_t = 10)]
    pub timeout_secs: u64,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum TelemetryFormat {
    /// time as a TIMESTAMP, run_uuid as UBIGINT
    Parquet,
    /// time as ISO-8601 text like 2022-11-23T20:40:00.444Z
    Csv,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(subcommand)]
    pub what: GenerateWhat,
}

#[derive(Subcommand, Debug)]
pub enum GenerateWhat {
    /// Votes JSONL: optional fields absent as in real data, ~1% duplicate Ids, ~0.1% bad lines
    Votes {
        /// Number of lines to write
        #[arg(long, default_value_t = 100_000)]
        rows: u64,
        /// Output file (.jsonl, or .jsonl.gz to compress)
        #[arg(long)]
        output: PathBuf,
        /// Random seed, for reproducible files
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Share of lines that repeat an earlier Id
        #[arg(long, default_value_t = 0.01)]
        duplicate_rate: f64,
        /// Share of lines that are broken (malformed JSON, non-numeric Id, impossible date)
        #[arg(long, default_value_t = 0.001)]
        bad_rate: f64,
    },
    /// Sensor-log Parquet files, one per minute of January 2023, named like the real delivery
    SensorLogs {
        /// Number of per-minute files from 2023-01-01 00:00 (the delivery has 43,201: up to 2023-01-31 00:00)
        #[arg(long, default_value_t = 43_201)]
        minutes: u64,
        /// Output directory
        #[arg(long)]
        output: PathBuf,
        /// Random seed, for reproducible files
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// STEDI landing files: customer/, accelerometer/ and step_trainer/ JSON lines
    Stedi {
        /// Number of customers
        #[arg(long, default_value_t = 100_000)]
        customers: u64,
        /// Accelerometer readings
        #[arg(long, default_value_t = 10_000_000)]
        accelerometer: u64,
        /// Step-trainer readings
        #[arg(long, default_value_t = 3_000_000)]
        step_trainer: u64,
        /// Output directory
        #[arg(long)]
        output: PathBuf,
        /// Random seed, for reproducible files
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Robot telemetry: one long-format file per run, both arms, with jitter, dropouts and logger faults
    Telemetry {
        /// Readings in all, about
        #[arg(long, default_value_t = 1_000_000)]
        readings: u64,
        /// Output directory
        #[arg(long)]
        output: PathBuf,
        /// File format
        #[arg(long, value_enum, default_value = "parquet")]
        format: TelemetryFormat,
        /// Random seed, for reproducible files
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// The stock-market dataset layout: etfs/*.csv, stocks/*.csv, symbols_valid_meta.csv
    Stocks {
        /// Number of symbols (one CSV each)
        #[arg(long, default_value_t = 8_000)]
        symbols: u64,
        /// Rows in all, about
        #[arg(long, default_value_t = 28_000_000)]
        rows: u64,
        /// Output directory
        #[arg(long)]
        output: PathBuf,
        /// Random seed, for reproducible files
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

impl From<Format> for crate::output::Format {
    fn from(format: Format) -> Self {
        match format {
            Format::Table => Self::Table,
            Format::Csv => Self::Csv,
            Format::Json => Self::Json,
        }
    }
}

impl From<RunFormat> for crate::telemetry::RunFormat {
    fn from(format: RunFormat) -> Self {
        match format {
            RunFormat::Table => Self::Table,
            RunFormat::Csv => Self::Csv,
            RunFormat::Parquet => Self::Parquet,
        }
    }
}
