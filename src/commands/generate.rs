//! `generate`: synthetic data files for demos and benchmarks.
use crate::cli::{GenerateWhat, TelemetryFormat};
use anyhow::Result;
use std::process::ExitCode;

pub fn generate(what: GenerateWhat) -> Result<ExitCode> {
    match what {
        GenerateWhat::Votes {
            rows,
            output,
            seed,
            duplicate_rate,
            bad_rate,
        } => {
            let written = crate::generate::votes(&output, rows, seed, duplicate_rate, bad_rate)?;
            println!("wrote {written} lines to {}", output.display());
        }
        GenerateWhat::SensorLogs {
            minutes,
            output,
            seed,
        } => {
            let (files, rows) = crate::generate::sensor_logs(&output, minutes, seed)?;
            println!("wrote {files} files, {rows} rows, to {}", output.display());
        }
        GenerateWhat::Stedi {
            customers,
            accelerometer,
            step_trainer,
            output,
            seed,
        } => {
            let (files, lines) =
                crate::generate::stedi(&output, customers, accelerometer, step_trainer, seed)?;
            println!(
                "wrote {files} files, {lines} lines, to {}",
                output.display()
            );
        }
        GenerateWhat::Telemetry {
            readings,
            output,
            format,
            seed,
        } => {
            let format = match format {
                TelemetryFormat::Parquet => crate::generate::telemetry::FileFormat::Parquet,
                TelemetryFormat::Csv => crate::generate::telemetry::FileFormat::Csv,
            };
            let (files, rows) =
                crate::generate::telemetry::generate(&output, readings, seed, format)?;
            println!(
                "wrote {files} run files, {rows} readings, to {}",
                output.display()
            );
        }
        GenerateWhat::Stocks {
            symbols,
            rows,
            output,
            seed,
        } => {
            let (files, rows) = crate::generate::stocks(&output, symbols, rows, seed)?;
            println!("wrote {files} files, {rows} rows, to {}", output.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
