//! Votes JSONL: optional fields absent as in real data, a share of repeated Ids and of broken lines.
use super::{create, seeded, SeededRng};
use anyhow::{Context, Result};
use chrono::{Days, NaiveDate};
use rand::distr::{weighted::WeightedIndex, Bernoulli};
use rand::RngExt;
use std::io::Write;
use std::path::Path;

/// Vote types with their share of real Stack Exchange votes, roughly.
const VOTE_TYPES: &[(u8, f64)] = &[
    (2, 0.72),
    (1, 0.08),
    (3, 0.07),
    (5, 0.06),
    (10, 0.02),
    (6, 0.02),
    (16, 0.02),
    (8, 0.005),
    (9, 0.005),
    (12, 0.01),
];

/// 2008-08-01, when Stack Overflow opened: the first vote's day.
const OPENED: NaiveDate = NaiveDate::from_ymd_opt(2008, 8, 1).expect("a valid date");

fn vote_line(
    rng: &mut SeededRng,
    vote_types: &WeightedIndex<f64>,
    id: u64,
    day: NaiveDate,
    posts: u64,
) -> String {
    let t = VOTE_TYPES[rng.sample(vote_types)].0;
    let post = rng.random_range(1..=posts);
    let mut line = format!(r#"{{"Id":"{id}","PostId":"{post}","VoteTypeId":"{t}""#);
    if t == 5 || t == 8 {
        let user = rng.random_range(1..=posts / 3 + 1);
        line.push_str(&format!(r#","UserId":"{user}""#));
    }
    if t == 8 || t == 9 {
        let bounty = 50 * rng.random_range(1..=10);
        line.push_str(&format!(r#","BountyAmount":"{bounty}""#));
    }
    line.push_str(&format!(r#","CreationDate":"{day}T00:00:00.000"}}"#));
    line
}

fn bad_line(rng: &mut SeededRng, id: u64, good: &str) -> String {
    match rng.random_range(0..4) {
        0 => good[..good.len() / 2].to_string(),
        1 => good.replacen(&format!(r#""Id":"{id}""#), &format!(r#""Id":"x{id}""#), 1),
        2 => format!(
            r#"{{"Id":"{id}","PostId":"1","VoteTypeId":"2","CreationDate":"2021-02-30T00:00:00.000"}}"#
        ),
        _ => {
            format!(r#"{{"Id":"{id}","VoteTypeId":"2","CreationDate":"2021-03-01T00:00:00.000"}}"#)
        }
    }
}

/// Writes `rows` lines of votes JSONL; returns the number written.
pub fn votes(path: &Path, rows: u64, seed: u64, duplicate_rate: f64, bad_rate: f64) -> Result<u64> {
    let duplicate =
        Bernoulli::new(duplicate_rate).context("the duplicate rate must be within 0 to 1")?;
    let bad = Bernoulli::new(bad_rate).context("the bad-line rate must be within 0 to 1")?;
    let vote_types = WeightedIndex::new(VOTE_TYPES.iter().map(|(_, share)| *share))?;
    let mut rng = seeded(seed);
    let mut out = create(path)?;
    let span_days = 5_600; // about 15 years
    let posts = (rows / 4).max(10);
    let mut recent: Vec<String> = Vec::with_capacity(4096);
    let mut next_id = 1u64;
    for i in 0..rows {
        let day = OPENED + Days::new((i as f64 / rows.max(1) as f64 * span_days as f64) as u64);
        let line = if !recent.is_empty() && rng.sample(duplicate) {
            recent[rng.random_range(0..recent.len())].clone()
        } else {
            let good = vote_line(&mut rng, &vote_types, next_id, day, posts);
            next_id += 1 + u64::from(rng.random_bool(0.05)); // real Ids have gaps
            if rng.sample(bad) {
                bad_line(&mut rng, next_id - 1, &good)
            } else {
                if recent.len() < 4096 {
                    recent.push(good.clone());
                } else {
                    let slot = rng.random_range(0..recent.len());
                    recent[slot] = good.clone();
                }
                good
            }
        };
        writeln!(out, "{line}").with_context(|| format!("writing {}", path.display()))?;
    }
    out.flush()?;
    drop(out);
    Ok(rows)
}
