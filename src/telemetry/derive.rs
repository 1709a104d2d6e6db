//! Telemetry's after-load step: the runs that gained readings (or are on another grid) are derived again
//! in the load's transaction: `derive_runs.sql` picks them and clears their derived rows, the sweep
//! computes the grid (`sweep`), `derive.sql` records repeats, sensors and runs.
use super::sweep;
use crate::duck::timed;
use crate::ingest::{AfterLoad, Load};
use anyhow::Result;

pub struct DeriveRuns;

/// The step `datasets::TELEMETRY` declares.
pub static DERIVE_RUNS: DeriveRuns = DeriveRuns;

impl AfterLoad for DeriveRuns {
    /// Says what was recomputed (the SQL leaves changed_runs and regridded_runs).
    fn run(&self, load: &Load) -> Result<Vec<String>> {
        let wh = load.wh;
        load.sql("derive_runs.sql")?;
        timed("sweep", || sweep::sweep(wh))?;
        load.sql("derive.sql")?;
        let changed: i64 = wh.scalar("SELECT count(*) FROM changed_runs")?;
        let regridded: i64 = wh.scalar("SELECT count(*) FROM regridded_runs")?;
        let grid: i64 = wh.scalar("SELECT grid_ms FROM telemetry.settings")?;
        let total: i64 = wh.scalar("SELECT count(*) FROM telemetry.runs")?;
        let mut notes = vec![format!(
            "derived {changed} of {total} run(s) on the {grid} ms grid: {} with new readings, {regridded} because they were on another grid; the other {} untouched",
            changed - regridded,
            total - changed
        )];
        if regridded > 0 {
            notes.push(format!(
                "the grid changed to {grid} ms, so every run was derived again"
            ));
        }
        Ok(notes)
    }
}
