//! Sensor-log Parquet files, one per minute, named like the real delivery.
use super::{seeded, SeededRng};
use anyhow::{Context, Result};
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use rand::RngExt;
use std::path::Path;

/// 2023-01-01 00:00, the delivery's first minute.
const START: NaiveDateTime = NaiveDate::from_ymd_opt(2023, 1, 1)
    .expect("a valid date")
    .and_time(chrono::NaiveTime::MIN);

fn random_word(rng: &mut SeededRng, len: usize) -> String {
    (0..len).map(|_| rng.random_range('a'..='z')).collect()
}

/// Sensor slots per department: 100 departments of 5 to 29 sensors, 1,914 slots in all (as delivered).
fn department_sizes(rng: &mut SeededRng) -> Vec<u64> {
    let mut sizes: Vec<u64> = (0..100).map(|_| rng.random_range(5..30)).collect();
    let mut total: u64 = sizes.iter().sum();
    while total != 1914 {
        let i = rng.random_range(0..sizes.len());
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
    let mut rng = seeded(seed);
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

/// Minute `minute` of the delivery: its instant in epoch seconds, and its file's name.
fn minute_file(minute: u64) -> (i64, String) {
    let at = START + TimeDelta::minutes(minute as i64);
    let name = format!("{}.parquet", at.format("%Y-%m-%d %H:%M:%S"));
    (at.and_utc().timestamp(), name)
}

fn write_minute(conn: &duckdb::Connection, dir: &Path, minute: u64, seed: u64) -> Result<()> {
    let (secs, name) = minute_file(minute);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departments_have_the_delivered_slot_count() {
        let sizes = department_sizes(&mut seeded(7));
        assert_eq!(sizes.len(), 100);
        assert_eq!(sizes.iter().sum::<u64>(), 1914);
        assert!(sizes.iter().all(|s| (5..=29).contains(s)));
    }

    #[test]
    fn minutes_are_named_from_2023_01_01() {
        let day = 86_400;
        let first = (19_358 * day, "2023-01-01 00:00:00.parquet".to_string());
        assert_eq!(minute_file(0), first);
        let last = (19_389 * day, "2023-02-01 00:00:00.parquet".to_string());
        assert_eq!(minute_file(31 * 24 * 60), last);
        assert_eq!(minute_file(61).1, "2023-01-01 01:01:00.parquet");
    }
}
