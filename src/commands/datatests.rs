//! `exercise check`: the data tests declared in sql/tests/, with their results kept in
//! meta.test_results (so it writes, like the loads that also run them).
use crate::cli::{CheckDataArgs, CheckFormat};
use crate::datatests::{self, report};
use crate::duck::warehouse::Warehouse;
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub fn check(db: &Path, args: &CheckDataArgs) -> Result<ExitCode> {
    let mut all = datatests::declared()?;
    if let Some(dir) = &args.tests {
        let own = datatests::declared_in(dir)?;
        // A test's results are kept by its id: two tests of one id would mix their histories.
        if let Some(t) = own.iter().find(|t| all.iter().any(|s| s.id == t.id)) {
            bail!(
                "{}/{}.toml: a shipped test (sql/tests/) is already named {}; name this one otherwise",
                dir.display(),
                t.relation.replacen('.', "/", 1),
                t.id
            );
        }
        all.extend(own);
    }
    let tests = datatests::select(all, args.dataset.as_deref(), args.select.as_deref());
    if tests.is_empty() {
        bail!("no data test matches (see sql/tests/)");
    }
    let wh = Warehouse::open(db)?;
    let outcomes = datatests::run(&wh, &tests);
    datatests::record(&wh, &outcomes, None, false)?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    match args.format {
        CheckFormat::Table => report::table(&outcomes, &mut out),
        CheckFormat::Json => report::json(&outcomes, &mut out),
        CheckFormat::Junit => report::junit(&outcomes, &mut out),
    }
    .and_then(|_| out.flush())
    .context("writing the test report")?;
    if args.output.is_some() || args.format != CheckFormat::Table {
        eprintln!("{}", report::summary(&outcomes));
    }
    Ok(if outcomes.iter().any(|o| o.is_blocking()) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
