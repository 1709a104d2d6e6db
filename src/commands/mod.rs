//! One function per subcommand, in one file per group: open the warehouse (read-only unless the command
//! writes), do the work, print, choose the exit code. Only this layer and `cli` know the command line.
mod checks;
mod datatests;
mod export;
mod generate;
mod load;
mod model;
mod read;

use crate::cli::{Cli, Command};
use crate::duck::warehouse::{Access, Warehouse};
use anyhow::Result;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    let db = cli.db.as_path();
    match cli.command {
        Command::Migrate => migrate(db),
        Command::IngestData(args) => load::ingest_data(db, &args),
        Command::Outliers(args) => read::outliers(db, args.format.into()),
        Command::Query(args) => read::query(db, &args),
        Command::Status => read::status(db),
        Command::CheckIngestion(args) => checks::check_ingestion(db, &args),
        Command::CheckOutliers => checks::check_outliers(db),
        Command::FetchData(args) => crate::fetch::fetch(
            args.url.as_deref(),
            &args.dir,
            Duration::from_secs(args.timeout_secs),
        )
        .map(|_| ExitCode::SUCCESS),
        Command::Generate(args) => generate::generate(args.what),
        Command::Export(args) => export::export(db, &args),
        Command::Publish(args) => export::publish(db, &args),
        Command::Stedi(args) => read::report(db, "reports/stedi_zones.sql", args.format.into()),
        Command::Runs(args) => read::report(db, "reports/telemetry_runs.sql", args.format.into()),
        Command::Run(args) => {
            let wh = Warehouse::open_reader(db, Access::Read)?;
            let format = args.format.into();
            crate::telemetry::features(&wh, args.run_uuid, format, args.output.as_deref())
                .map(|_| ExitCode::SUCCESS)
        }
        Command::Check(args) => datatests::check(db, &args),
        Command::Train(args) => model::train(db, &args),
        Command::Models(args) => read::report(db, "reports/model_runs.sql", args.format.into()),
        Command::Serve(args) => model::serve(db, &args),
        Command::Plot(args) => {
            let wh = Warehouse::open_reader(db, Access::Read)?;
            let size = (args.width, args.height);
            crate::telemetry::plot(&wh, args.run_uuid, &args.output, size)?;
            println!("wrote {}", args.output.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn migrate(db: &Path) -> Result<ExitCode> {
    let wh = Warehouse::open_unmigrated(db)?;
    let applied = wh.migrate()?;
    wh.recreate_views()?;
    if applied.is_empty() {
        println!("{}: schema is up to date", db.display());
    }
    for name in applied {
        println!("applied {name}");
    }
    Ok(ExitCode::SUCCESS)
}
