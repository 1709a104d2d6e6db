//! The stock-market dataset layout: etfs/*.csv, stocks/*.csv, symbols_valid_meta.csv.
use super::{create, parallel_sum, seeded, SeededRng};
use anyhow::Result;
use chrono::{Datelike, NaiveDate, Weekday};
use rand::{Rng, RngExt};
use rand_distr::Normal;
use std::io::Write;
use std::path::Path;

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

/// The dataset's last trading day.
const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(2020, 4, 1).expect("a valid date");

/// The `n` trading days (weekdays) ending on `LAST_DAY`, newest last.
fn trading_days(n: usize) -> Vec<NaiveDate> {
    let mut days: Vec<NaiveDate> = LAST_DAY
        .iter_days()
        .rev()
        .filter(|day| !matches!(day.weekday(), Weekday::Sat | Weekday::Sun))
        .take(n)
        .collect();
    days.reverse();
    days
}

fn write_symbol(
    dir: &Path,
    sym: &str,
    is_etf: bool,
    rows: usize,
    rng: &mut SeededRng,
) -> Result<u64> {
    let path = dir
        .join(if is_etf { "etfs" } else { "stocks" })
        .join(format!("{sym}.csv"));
    let mut out = create(&path)?;
    writeln!(out, "Date,Open,High,Low,Close,Adj Close,Volume")?;
    let daily_return = Normal::new(1.0, 0.02)?;
    let open_gap = Normal::new(1.0, 0.005)?;
    let mut price: f64 = rng.random_range(5.0..205.0);
    let split_adjust = rng.random_range(0.6..1.0);
    let base_volume: f64 = rng.random_range(1_000.0..5_001_000.0);
    let mut written = 0;
    for day in trading_days(rows) {
        price = (price * rng.sample(daily_return)).max(0.01);
        let open = price * rng.sample(open_gap);
        let high = price.max(open) * rng.random_range(1.0..1.01);
        let low = price.min(open) * rng.random_range(0.99..1.0);
        let volume = (base_volume * rng.random_range(0.5..1.5)).round() as u64;
        if rng.random_bool(0.0005) {
            writeln!(out, "{day},,,,,,")?; // a day with missing values, as in the real files
        } else if is_etf && rng.random_bool(0.3) {
            writeln!(
                out,
                "{day},{open:.6},{high:.6},{low:.6},{price:.6},{:.6},{volume}.0",
                price * split_adjust
            )?;
        } else {
            writeln!(
                out,
                "{day},{open:.6},{high:.6},{low:.6},{price:.6},{:.6},{volume}",
                price * split_adjust
            )?;
        }
        if rng.random_bool(0.0002) {
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
    let mut rng = seeded(seed);
    let mean = (rows / symbols.max(1)).max(1) as usize;
    let plan: Vec<(String, bool, usize, u64)> = (0..symbols)
        .map(|i| {
            let len = 30 + rng.random_range(0..2 * mean.saturating_sub(30).max(1));
            (ticker(i), rng.random_bool(0.27), len, rng.next_u64())
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
        write_symbol(dir, sym, *is_etf, *len, &mut seeded(*s))
    })?;
    Ok((symbols + 1, written))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickers_are_unique() {
        let all: std::collections::HashSet<String> = (0..20_000).map(ticker).collect();
        assert_eq!(all.len(), 20_000);
        assert_eq!(ticker(0), "A");
        assert_eq!(ticker(26), "AA");
    }

    #[test]
    fn trading_days_skip_weekends() {
        let days = trading_days(10);
        let date = |m, d| NaiveDate::from_ymd_opt(2020, m, d).expect("a valid date");
        assert_eq!(days.last(), Some(&date(4, 1)));
        assert_eq!(days.first(), Some(&date(3, 19)));
        assert_eq!(days.len(), 10);
        assert!(!days.contains(&date(3, 28)) && !days.contains(&date(3, 29)));
    }
}
