//! `train` and `serve`: the stock volume model (`models` is a report in `read`).
use crate::cli::{ServeArgs, TrainArgs};
use crate::duck::sqlfiles;
use crate::duck::warehouse::{Access, Warehouse};
use crate::model::{self, metrics::Metrics, train};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn train(db: &Path, args: &TrainArgs) -> Result<ExitCode> {
    let wh = Warehouse::open(db)?;
    let options = train::Options {
        params: model::Params {
            trees: args.trees as usize,
            max_depth: args.max_depth as usize,
            min_samples_leaf: usize::try_from(args.min_samples_leaf)?,
            max_samples: usize::try_from(args.max_samples)?,
            bootstrap: !args.no_bootstrap,
            seed: args.seed,
        },
        test_from: args.test_from,
        lag_days: args.lag,
        random_split: !args.no_random_split,
        out: args.out.clone(),
    };
    let trained = train::train(&wh, &options)?;
    print_report(&trained);
    Ok(ExitCode::SUCCESS)
}

fn print_report(t: &train::Trained) {
    let m = &t.metadata;
    let data = &m.training_data;
    let per_tree = if m.params.bootstrap {
        format!(
            "{} rows drawn per tree",
            m.params.max_samples.min(data.train_rows as usize)
        )
    } else {
        "every training row in every tree".to_string()
    };
    println!(
        "model run {}: {} ({} trees, depth <= {}, {per_tree}), lag {} days",
        t.model_run_id, m.model_version, m.params.trees, m.params.max_depth, m.lag_days
    );
    println!(
        "trained on {} rows ({} to the day before {}), tested on {} rows ({} to {})",
        data.train_rows,
        data.first_day,
        data.test_from,
        data.test_rows,
        data.test_from,
        data.last_day
    );
    println!();
    println!(
        "{:<34} {:>10} {:>14} {:>14} {:>8} {:>10} {:>9}",
        "", "rows", "MAE", "RMSE", "R²", "MAE log1p", "MdAPE %"
    );
    let e = &m.evaluation;
    let mut lines: Vec<(&str, &Metrics)> = vec![
        ("forest, split by date", &e.test),
        ("baseline: vol_moving_avg itself", &e.baseline_moving_avg),
        ("baseline: least-squares line", &e.baseline_linear),
    ];
    if let Some(random) = &e.random_split {
        lines.push(("forest, random 80/20 (flattering)", random));
    }
    for (name, x) in lines {
        println!(
            "{:<34} {:>10} {:>14.0} {:>14.0} {:>8.4} {:>10.4} {:>9.2}",
            name, x.rows, x.mae, x.rmse, x.r2, x.mae_log1p, x.mdape
        );
    }
    println!();
    if e.beats_baseline {
        println!("the forest beats the vol_moving_avg baseline on MAE");
    } else {
        println!("the forest does NOT beat the vol_moving_avg baseline on MAE");
    }
    println!(
        "wrote {} ({:.1} MB) and its log {}; {:.1} s, peak memory {}",
        t.path.display(),
        t.bytes as f64 / 1e6,
        t.path.with_extension("log").display(),
        t.seconds,
        train::gigabytes(t.peak_memory_bytes)
    );
}

pub fn serve(db: &Path, args: &ServeArgs) -> Result<ExitCode> {
    let path = match &args.model {
        Some(path) => path.clone(),
        None => newest_model(db)?,
    };
    let (metadata, forest) = model::file::load(&path)?;
    eprintln!(
        "loaded {} ({} trees, {} nodes)",
        path.display(),
        forest.trees.len(),
        forest.node_count()
    );
    let limits = model::serve::Limits {
        request_timeout: std::time::Duration::from_secs(args.request_timeout),
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        stop_timeout: std::time::Duration::from_secs(args.stop_timeout),
    };
    model::serve::serve(metadata, forest, args.addr, limits)?;
    Ok(ExitCode::SUCCESS)
}

/// The newest model recorded in the warehouse, read without holding the warehouse open afterwards.
fn newest_model(db: &Path) -> Result<PathBuf> {
    let wh = Warehouse::open_reader(db, Access::Read)?;
    let sql = sqlfiles::get("models/newest_model.sql")?;
    let path: Option<String> = wh
        .conn
        .query_row(sql, [], |r| r.get(0))
        .map(Some)
        .or_else(|e| match e {
            duckdb::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })
        .context("reading market.model_runs")?;
    let path = path.with_context(|| {
        format!(
            "{} has no trained model: run `exercise train` first, or pass --model",
            db.display()
        )
    })?;
    Ok(PathBuf::from(path))
}
