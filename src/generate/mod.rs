//! Synthetic data for demos and benchmarks: realistic files with realistic faults, reproducible by seed.
mod sensor_logs;
mod stedi;
mod stocks;
pub mod telemetry;
mod votes;

pub use sensor_logs::sensor_logs;
pub use stedi::stedi;
pub use stocks::stocks;
pub use votes::votes;

use anyhow::{Context, Result};
use rand::SeedableRng;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// The generators' random numbers: xoshiro256++, one of rand's named portable generators, so a seed
/// gives the same files on every run, build and platform.
pub type SeededRng = rand::rngs::Xoshiro256PlusPlus;

/// The generator for `seed`.
pub fn seeded(seed: u64) -> SeededRng {
    SeededRng::seed_from_u64(seed)
}

/// Opens a file for writing, gzip-compressed when its name ends in `.gz`.
pub fn create(path: &Path) -> Result<Box<dyn Write>> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let buffered = BufWriter::with_capacity(1 << 20, file);
    if path.to_string_lossy().ends_with(".gz") {
        Ok(Box::new(flate2::write::GzEncoder::new(
            buffered,
            flate2::Compression::fast(),
        )))
    } else {
        Ok(Box::new(buffered))
    }
}

pub(super) fn parallel_sum<T: Sync>(
    items: &[T],
    f: impl Fn(&T) -> Result<u64> + Sync,
) -> Result<u64> {
    Ok(crate::par::parallel_map(items, f)?.iter().sum())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    #[test]
    fn civil_dates_from_days() {
        // The epoch days the generators once hard-coded (1970, sensor logs, stocks) and a leap day.
        for (days, (y, m, d)) in [
            (0, (1970, 1, 1)),
            (19_358, (2023, 1, 1)),
            (18_353, (2020, 4, 1)),
            (11_016, (2000, 2, 29)),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d);
            assert_eq!(NaiveDate::from_epoch_days(days), date);
            assert_eq!(date.map(|d| d.to_epoch_days()), Some(days));
        }
    }
}
