//! STEDI landing files: customer/, accelerometer/ and step_trainer/ JSON lines.
use super::{create, seeded, SeededRng};
use anyhow::Result;
use chrono::TimeDelta;
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use std::io::Write;
use std::path::Path;

/// Writes lines into numbered files of at most `per_file` lines: `dir/prefix-0001.json`, ...
struct Sharded {
    dir: std::path::PathBuf,
    prefix: &'static str,
    per_file: u64,
    written: u64,
    files: u64,
    out: Option<Box<dyn Write>>,
}

impl Sharded {
    fn new(dir: std::path::PathBuf, prefix: &'static str, per_file: u64) -> Self {
        Sharded {
            dir,
            prefix,
            per_file,
            written: 0,
            files: 0,
            out: None,
        }
    }

    fn line(&mut self, text: &str) -> Result<()> {
        if self.out.is_none() || self.written.is_multiple_of(self.per_file) {
            self.finish()?;
            self.files += 1;
            self.out = Some(create(
                &self
                    .dir
                    .join(format!("{}-{:04}.json", self.prefix, self.files)),
            )?);
        }
        if let Some(out) = self.out.as_mut() {
            writeln!(out, "{text}")?;
        }
        self.written += 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        if let Some(mut out) = self.out.take() {
            out.flush()?;
        }
        Ok(())
    }
}

fn stedi_customer(
    rng: &mut SeededRng,
    i: u64,
    serial: &str,
    updated: i64,
    research: Option<i64>,
) -> String {
    let optional = |rng: &mut SeededRng, key: &str, t: i64| match rng.random_range(0..3) {
        0 => String::new(),
        1 => format!(",\"{key}\":null"),
        _ => format!(",\"{key}\":{t}"),
    };
    let research = research
        .map(|t| format!(",\"shareWithResearchAsOfDate\":{t}"))
        .unwrap_or_default();
    let public = optional(rng, "shareWithPublicAsOfDate", updated);
    let friends = optional(rng, "shareWithFriendsAsOfDate", updated);
    format!(
        "{{\"customerName\":\"Customer {i}\",\"email\":\"customer{i}@example.com\",\"phone\":\"555{:07}\",\
         \"birthDay\":\"{}-{:02}-{:02}\",\"serialNumber\":\"{serial}\",\"registrationDate\":{},\"lastUpdateDate\":{updated}\
         {research}{public}{friends}}}",
        rng.random_range(0..10_000_000),
        rng.random_range(1940..2000),
        rng.random_range(1..=12),
        rng.random_range(1..=28),
        updated - days_ms(rng.random_range(1..=300))
    )
}

/// `days` days in milliseconds, the unit of STEDI's timestamps.
fn days_ms(days: i64) -> i64 {
    TimeDelta::days(days).num_milliseconds()
}

/// Writes the STEDI landing layout: customer/landing, accelerometer/landing, step_trainer/landing.
/// 60% of customers consent to research; half of all customers use the app (accelerometer readings every
/// 100 ms) and their step trainer reports at the same instants; 30 serial numbers are reused by 10% of
/// customers; ~1% of customer records are repeated, and a last customer file withdraws ~1% of consents.
/// Returns (files, lines).
pub fn stedi(
    dir: &Path,
    customers: u64,
    accelerometer: u64,
    step_trainer: u64,
    seed: u64,
) -> Result<(u64, u64)> {
    let mut rng = seeded(seed);
    let reused: Vec<String> = (0..30)
        .map(|_| format!("{:08x}-reused", rng.next_u32()))
        .collect();
    let base: i64 = 1_655_564_376_361;
    let mut people: Vec<(String, Option<i64>, i64)> = Vec::with_capacity(customers as usize);
    let mut cust = Sharded::new(dir.join("customer/landing"), "customer", 10_000);
    for i in 0..customers {
        let serial = if rng.random_bool(0.1) {
            reused[rng.random_range(0..reused.len())].clone()
        } else {
            format!("{:016x}", rng.next_u64())
        };
        let research = rng
            .random_bool(0.6)
            .then(|| base - rng.random_range(0..1_000_000_000));
        let line = stedi_customer(&mut rng, i, &serial, base, research);
        cust.line(&line)?;
        if rng.random_bool(0.01) {
            cust.line(&line)?;
        }
        people.push((serial, research, base));
    }
    cust.finish()?;
    let mut updates = Sharded::new(dir.join("customer/landing"), "customer-updates", u64::MAX);
    for (i, (serial, research, updated)) in people.iter().enumerate() {
        if research.is_some() && rng.random_bool(0.01) {
            updates.line(&stedi_customer(
                &mut rng,
                i as u64,
                serial,
                updated + days_ms(1),
                None,
            ))?;
        }
    }
    updates.finish()?;
    let active = (customers / 2).max(1);
    let (per_acc, per_step) = (
        accelerometer.div_ceil(active),
        step_trainer.div_ceil(active),
    );
    let mut acc = Sharded::new(
        dir.join("accelerometer/landing"),
        "accelerometer",
        1_000_000,
    );
    let mut step = Sharded::new(dir.join("step_trainer/landing"), "step_trainer", 1_000_000);
    for c in 0..active {
        let (serial, _, _) = &people[c as usize];
        let t0 = base + (c as i64) * 1_000_000;
        for k in 0..per_acc.min(accelerometer.saturating_sub(acc.written)) {
            let [x, y, z]: [f64; 3] = std::array::from_fn(|_| rng.sample(StandardNormal));
            acc.line(&format!(
                "{{\"user\":\"customer{c}@example.com\",\"timestamp\":{},\"x\":{x:.3},\"y\":{y:.3},\"z\":{z:.3}}}",
                t0 + 100 * k as i64
            ))?;
        }
        for k in 0..per_step.min(step_trainer.saturating_sub(step.written)) {
            step.line(&format!(
                "{{\"sensorReadingTime\":{},\"serialNumber\":\"{serial}\",\"distanceFromObject\":{}}}",
                t0 + 100 * k as i64,
                rng.random_range(200..300)
            ))?;
        }
    }
    acc.finish()?;
    step.finish()?;
    let files = cust.files + updates.files + acc.files + step.files;
    Ok((
        files,
        cust.written + updates.written + acc.written + step.written,
    ))
}
