//! Synthetic data for demos and benchmarks: realistic files with realistic faults, reproducible by seed.
pub mod telemetry;

use anyhow::{Context, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// SplitMix64: small, fast, and good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-300);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
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

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

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

fn random_word(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| (b'a' + rng.below(26) as u8) as char)
        .collect()
}

/// Sensor slots per department: 100 departments of 5 to 29 sensors, 1,914 slots in all (as delivered).
fn department_sizes(rng: &mut Rng) -> Vec<u64> {
    let mut sizes: Vec<u64> = (0..100).map(|_| 5 + rng.below(25)).collect();
    let mut total: u64 = sizes.iter().sum();
    while total != 1914 {
        let i = rng.below(100) as usize;
        if total < 1914 && sizes[i] < 29 {
            sizes[i] += 1;
            total += 1;
        } else if total > 1914 && sizes[i] > 5 {
            sizes[i] -= 1;
            total -= 1;
        }
    }
    sizes
}

/// The delivery's dimensions, in an in-memory DuckDB: departments with their sensors, and products.
fn sensor_log_dimensions(conn: &duckdb::Connection, seed: u64) -> Result<()> {
    let mut rng = Rng::new(seed);
    let sizes = department_sizes(&mut rng);
    let mut slots = String::from("CREATE TABLE slots (slot INTEGER, department_name VARCHAR, dept INTEGER, n INTEGER); INSERT INTO slots VALUES ");
    let mut sensors = String::from("CREATE TABLE sensors (dept INTEGER, idx INTEGER, sensor_serial VARCHAR); INSERT INTO sensors VALUES ");
    let mut slot = 0;
    for (dept, n) in sizes.iter().enumerate() {
        let name = random_word(&mut rng, 32);
        for i in 0..*n {
            slots.push_str(&format!("({slot}, '{name}', {dept}, {n}),"));
            sensors.push_str(&format!("({dept}, {i}, '{}'),", random_word(&mut rng, 64)));
            slot += 1;
        }
    }
    let mut products = String::from(
        "CREATE TABLE products (idx INTEGER, product_name VARCHAR); INSERT INTO products VALUES ",
    );
    for i in 0..1000 {
        products.push_str(&format!("({i}, '{}'),", random_word(&mut rng, 16)));
    }
    for sql in [slots, sensors, products] {
        conn.execute_batch(sql.trim_end_matches(','))?;
    }
    Ok(())
}

/// Writes one Parquet file per minute from 2023-01-01 00:00, named `YYYY-MM-DD HH:MM:SS.parquet`, each with
/// one row per sensor slot: a sensor drawn with replacement from its department, a random product, and an
/// expiry 87 to 89 days after the reading's day. Returns (files, rows).
pub fn sensor_logs(dir: &Path, minutes: u64, seed: u64) -> Result<(u64, u64)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let conn = duckdb::Connection::open_in_memory()?;
    sensor_log_dimensions(&conn, seed)?;
    let minutes_list: Vec<u64> = (0..minutes).collect();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let chunk = minutes_list.len().div_ceil(workers).max(1);
    std::thread::scope(|s| -> Result<()> {
        let handles: Vec<_> = minutes_list
            .chunks(chunk)
            .map(|part| {
                let conn = conn.try_clone();
                s.spawn(move || -> Result<()> {
                    let conn = conn?;
                    conn.execute_batch("SET threads = 1")?;
                    for m in part {
                        write_minute(&conn, dir, *m, seed)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("a generator thread panicked"))??;
        }
        Ok(())
    })?;
    Ok((minutes, minutes * 1914))
}

fn write_minute(conn: &duckdb::Connection, dir: &Path, minute: u64, seed: u64) -> Result<()> {
    let start = 19_358 * 86_400; // 2023-01-01 in epoch seconds
    let secs = start + minute as i64 * 60;
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let name = format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}.parquet",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
    let path = dir.join(name).to_string_lossy().replace('\'', "''");
    conn.execute_batch(&format!(
        "COPY (
            SELECT s.department_name, se.sensor_serial,
                   make_timestamp({secs}::BIGINT * 1000000) AS create_at,
                   p.product_name,
                   CAST(CAST(make_timestamp({secs}::BIGINT * 1000000) AS DATE) AS TIMESTAMP)
                       + to_days(87 + CAST(hash({seed}, {minute}, s.slot, 'e') % 3 AS INTEGER)) AS product_expire
            FROM slots s
            JOIN sensors se ON se.dept = s.dept AND se.idx = hash({seed}, {minute}, s.slot) % s.n
            JOIN products p ON p.idx = hash({seed}, {minute}, s.slot, 'p') % 1000
            ORDER BY s.slot
        ) TO '{path}' (FORMAT parquet)"
    ))
    .with_context(|| format!("writing {path}"))
}

/// A ticker for symbol number `i`: 1 to 4 capital letters, unique.
fn ticker(mut i: u64) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        i /= 26;
        if i == 0 {
            break;
        }
        i -= 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// The trading days (weekdays) ending 2020-04-01, newest last.
fn trading_days(n: usize) -> Vec<(i64, u32, u32)> {
    let mut days = Vec::with_capacity(n);
    let mut day: i64 = 18_353; // 2020-04-01
    while days.len() < n {
        if (day + 3).rem_euclid(7) < 5 {
            days.push(civil_from_days(day));
        }
        day -= 1;
    }
    days.reverse();
    days
}

fn write_symbol(dir: &Path, sym: &str, is_etf: bool, rows: usize, rng: &mut Rng) -> Result<u64> {
    let path = dir
        .join(if is_etf { "etfs" } else { "stocks" })
        .join(format!("{sym}.csv"));
    let mut out = create(&path)?;
    writeln!(out, "Date,Open,High,Low,Close,Adj Close,Volume")?;
    let mut price = 5.0 + rng.unit() * 200.0;
    let split_adjust = 0.6 + rng.unit() * 0.4;
    let base_volume = 1_000.0 + rng.unit() * 5_000_000.0;
    let mut written = 0;
    for (y, m, d) in trading_days(rows) {
        price = (price * (1.0 + 0.02 * rng.normal())).max(0.01);
        let open = price * (1.0 + 0.005 * rng.normal());
        let high = price.max(open) * (1.0 + 0.01 * rng.unit());
        let low = price.min(open) * (1.0 - 0.01 * rng.unit());
        let volume = (base_volume * (0.5 + rng.unit())).round() as u64;
        if rng.chance(0.0005) {
            writeln!(out, "{y:04}-{m:02}-{d:02},,,,,,")?; // a day with missing values, as in the real files
        } else if is_etf && rng.chance(0.3) {
            writeln!(
                out,
                "{y:04}-{m:02}-{d:02},{open:.6},{high:.6},{low:.6},{price:.6},{:.6},{volume}.0",
                price * split_adjust
            )?;
        } else {
            writeln!(
                out,
                "{y:04}-{m:02}-{d:02},{open:.6},{high:.6},{low:.6},{price:.6},{:.6},{volume}",
                price * split_adjust
            )?;
        }
        if rng.chance(0.0002) {
            writeln!(out)?; // an empty line
        }
        written += 1;
    }
    out.flush()?;
    Ok(written)
}

/// Writes the stock-market layout: etfs/*.csv, stocks/*.csv and symbols_valid_meta.csv, with `symbols`
/// symbols (~27% ETFs) and about `rows` rows in all. ~0.5% of symbols have no meta row. Returns (files, rows).
pub fn stocks(dir: &Path, symbols: u64, rows: u64, seed: u64) -> Result<(u64, u64)> {
    let mut rng = Rng::new(seed);
    let mean = (rows / symbols.max(1)).max(1);
    let plan: Vec<(String, bool, usize, u64)> = (0..symbols)
        .map(|i| {
            let len = 30 + rng.below(2 * mean.saturating_sub(30).max(1)) as usize;
            (ticker(i), rng.chance(0.27), len, rng.next_u64())
        })
        .collect();
    let mut meta = create(&dir.join("symbols_valid_meta.csv"))?;
    writeln!(meta, "Nasdaq Traded,Symbol,Security Name,Listing Exchange,Market Category,ETF,Round Lot Size,Test Issue,Financial Status,CQS Symbol,NASDAQ Symbol,NextShares")?;
    for (sym, is_etf, _, s) in &plan {
        if s % 200 == 0 {
            continue; // a symbol without a meta row
        }
        let name = if *is_etf {
            format!("\"{sym} Index Fund, Series {}\"", s % 9)
        } else {
            format!("{sym} Corp. Common Stock")
        };
        writeln!(
            meta,
            "Y,{sym},{name},N, ,{},100.0,N,,{sym},{sym},N",
            if *is_etf { "Y" } else { "N" }
        )?;
    }
    meta.flush()?;
    let written = parallel_sum(&plan, |(sym, is_etf, len, s)| {
        write_symbol(dir, sym, *is_etf, *len, &mut Rng::new(*s))
    })?;
    Ok((symbols + 1, written))
}

fn parallel_sum<T: Sync>(items: &[T], f: impl Fn(&T) -> Result<u64> + Sync) -> Result<u64> {
    Ok(crate::par::parallel_map(items, f)?.iter().sum())
}

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
    rng: &mut Rng,
    i: u64,
    serial: &str,
    updated: i64,
    research: Option<i64>,
) -> String {
    let optional = |rng: &mut Rng, key: &str, t: i64| match rng.below(3) {
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
        rng.below(10_000_000),
        1940 + rng.below(60),
        1 + rng.below(12),
        1 + rng.below(28),
        updated - 86_400_000 * (1 + rng.below(300) as i64)
    )
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
    let mut rng = Rng::new(seed);
    let reused: Vec<String> = (0..30)
        .map(|_| format!("{:08x}-reused", rng.next_u64() as u32))
        .collect();
    let base: i64 = 1_655_564_376_361;
    let mut people: Vec<(String, Option<i64>, i64)> = Vec::with_capacity(customers as usize);
    let mut cust = Sharded::new(dir.join("customer/landing"), "customer", 10_000);
    for i in 0..customers {
        let serial = if rng.chance(0.1) {
            reused[rng.below(30) as usize].clone()
        } else {
            format!("{:016x}", rng.next_u64())
        };
        let research = rng
            .chance(0.6)
            .then_some(base - rng.below(1_000_000_000) as i64);
        let line = stedi_customer(&mut rng, i, &serial, base, research);
        cust.line(&line)?;
        if rng.chance(0.01) {
            cust.line(&line)?;
        }
        people.push((serial, research, base));
    }
    cust.finish()?;
    let mut updates = Sharded::new(dir.join("customer/landing"), "customer-updates", u64::MAX);
    for (i, (serial, research, updated)) in people.iter().enumerate() {
        if research.is_some() && rng.chance(0.01) {
            updates.line(&stedi_customer(
                &mut rng,
                i as u64,
                serial,
                updated + 86_400_000,
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
            let (x, y, z) = (rng.normal(), rng.normal(), rng.normal());
            acc.line(&format!(
                "{{\"user\":\"customer{c}@example.com\",\"timestamp\":{},\"x\":{x:.3},\"y\":{y:.3},\"z\":{z:.3}}}",
                t0 + 100 * k as i64
            ))?;
        }
        for k in 0..per_step.min(step_trainer.saturating_sub(step.written)) {
            step.line(&format!(
                "{{\"sensorReadingTime\":{},\"serialNumber\":\"{serial}\",\"distanceFromObject\":{}}}",
                t0 + 100 * k as i64,
                200 + rng.below(100)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_from_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_358), (2023, 1, 1));
        assert_eq!(civil_from_days(18_353), (2020, 4, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn tickers_are_unique() {
        let all: std::collections::HashSet<String> = (0..20_000).map(ticker).collect();
        assert_eq!(all.len(), 20_000);
        assert_eq!(ticker(0), "A");
        assert_eq!(ticker(26), "AA");
    }

    #[test]
    fn departments_have_the_delivered_slot_count() {
        let sizes = department_sizes(&mut Rng::new(7));
        assert_eq!(sizes.len(), 100);
        assert_eq!(sizes.iter().sum::<u64>(), 1914);
        assert!(sizes.iter().all(|s| (5..=29).contains(s)));
    }

    #[test]
    fn trading_days_skip_weekends() {
        let days = trading_days(10);
        assert_eq!(days.last(), Some(&(2020, 4, 1)));
        assert_eq!(days.len(), 10);
        assert!(!days.contains(&(2020, 3, 28)) && !days.contains(&(2020, 3, 29)));
    }
}
