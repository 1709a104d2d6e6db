//! Robot telemetry access: the runs, one run's aligned features, and a picture of one run. The data
//! itself is made by SQL (sql/datasets/telemetry, sql/views/telemetry) and the sweep (`sweep`: the
//! ordered per-run work of stage 4); the rest of this module only reads it.
pub mod derive;
mod grid;
mod plot;
pub mod sweep;
mod take;

pub use plot::plot;

use crate::duck::sql_string;
use crate::duck::warehouse::Warehouse;
use crate::output::{self, Format};
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::Path;

/// Fails with a helpful message when the run is unknown.
pub(crate) fn require_run(wh: &Warehouse, run_uuid: u64) -> Result<()> {
    let known: i64 = wh.scalar(&format!(
        "SELECT count(*) FROM telemetry.runs WHERE run_uuid = {run_uuid}"
    ))?;
    if known == 0 {
        bail!("no run {run_uuid} in the warehouse (`exercise runs` lists the runs)");
    }
    Ok(())
}

fn features_sql(run_uuid: u64) -> String {
    format!(
        "SELECT * EXCLUDE (run_uuid) FROM telemetry.run_features WHERE run_uuid = {run_uuid} ORDER BY time"
    )
}

/// How `exercise run` writes a run's features.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RunFormat {
    Table,
    Csv,
    Parquet,
}

/// `exercise run`: the run's feature table, as a table, CSV or Parquet, to stdout or a file.
pub fn features(
    wh: &Warehouse,
    run_uuid: u64,
    format: RunFormat,
    output: Option<&Path>,
) -> Result<()> {
    require_run(wh, run_uuid)?;
    let sql = features_sql(run_uuid);
    let format = match format {
        RunFormat::Parquet => {
            let Some(path) = output else {
                bail!("--format parquet needs --output FILE");
            };
            wh.execute(&format!(
                "COPY ({sql}) TO {} (FORMAT parquet)",
                sql_string(&path.to_string_lossy())
            ))
            .with_context(|| format!("writing {}", path.display()))?;
            return Ok(());
        }
        RunFormat::Table => Format::Table,
        RunFormat::Csv => Format::Csv,
    };
    let result = output::query(&wh.conn, &sql)?;
    match output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            output::print(&result, format, &mut out)?;
            out.flush()
                .with_context(|| format!("writing {}", path.display()))
        }
        None => output::print(&result, format, &mut std::io::stdout().lock()),
    }
}
