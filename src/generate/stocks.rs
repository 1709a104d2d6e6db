//! The stock-market dataset layout: etfs/*.csv, stocks/*.csv, symbols_valid_meta.csv.
use super::{civil_from_days, create, parallel_sum, Rng};
use anyhow::Result;
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
        assert_eq!(days.last(), Some(&(2020, 4, 1)));
        assert_eq!(days.len(), 10);
        assert!(!days.contains(&(2020, 3, 28)) && !days.contains(&(2020, 3, 29)));
    }
}
