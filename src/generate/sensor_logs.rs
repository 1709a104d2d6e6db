//! Sensor-log Parquet files, one per minute, named like the real delivery.
use super::{civil_from_days, Rng};
use anyhow::{Context, Result};
use std::path::Path;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departments_have_the_delivered_slot_count() {
        let sizes = department_sizes(&mut Rng::new(7));
        assert_eq!(sizes.len(), 100);
        assert_eq!(sizes.iter().sum::<u64>(), 1914);
        assert!(sizes.iter().all(|s| (5..=29).contains(s)));
    }
}
