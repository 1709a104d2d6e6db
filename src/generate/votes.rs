//! Votes JSONL: optional fields absent as in real data, a share of repeated Ids and of broken lines.
use super::{civil_from_days, create, Rng};
use anyhow::{Context, Result};
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

fn vote_type(rng: &mut Rng) -> u8 {
    let mut x = rng.unit();
    for (t, share) in VOTE_TYPES {
        if x < *share {
            return *t;
        }
        x -= share;
    }
    2
}

fn vote_line(rng: &mut Rng, id: u64, day: i64, posts: u64) -> String {
    let (y, m, d) = civil_from_days(day);
    let t = vote_type(rng);
    let post = 1 + rng.below(posts);
    let mut line = format!(r#"{{"Id":"{id}","PostId":"{post}","VoteTypeId":"{t}""#);
    if t == 5 || t == 8 {
        line.push_str(&format!(r#","UserId":"{}""#, 1 + rng.below(posts / 3 + 1)));
    }
    if t == 8 || t == 9 {
        line.push_str(&format!(
            r#","BountyAmount":"{}""#,
            50 * (1 + rng.below(10))
        ));
    }
    line.push_str(&format!(
        r#","CreationDate":"{y:04}-{m:02}-{d:02}T00:00:00.000"}}"#
    ));
    line
}

fn bad_line(rng: &mut Rng, id: u64, good: &str) -> String {
    match rng.below(4) {
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
    let mut rng = Rng::new(seed);
    let mut out = create(path)?;
    let first_day = 14_092; // 2008-08-01, when Stack Overflow opened
    let span_days = 5_600; // about 15 years
    let posts = (rows / 4).max(10);
    let mut recent: Vec<String> = Vec::with_capacity(4096);
    let mut next_id = 1u64;
    for i in 0..rows {
        let day = first_day + (i as f64 / rows.max(1) as f64 * span_days as f64) as i64;
        let line = if !recent.is_empty() && rng.chance(duplicate_rate) {
            recent[rng.below(recent.len() as u64) as usize].clone()
        } else {
            let good = vote_line(&mut rng, next_id, day, posts);
            next_id += 1 + u64::from(rng.chance(0.05)); // real Ids have gaps
            if rng.chance(bad_rate) {
                bad_line(&mut rng, next_id - 1, &good)
            } else {
                if recent.len() < 4096 {
                    recent.push(good.clone());
                } else {
                    let slot = rng.below(4096) as usize;
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
