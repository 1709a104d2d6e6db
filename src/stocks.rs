//! Stocks' after-load step: the rolling features (`market.features`) of every symbol a load touched.
//! SQL picks the rows (`sql/datasets/stocks/features_*.sql`); this step walks each symbol's days in
//! order once, keeping its last 30 volumes' sum and its last 30 adjusted closes in sorted order, and
//! appends every row with its two features, in the load's transaction. The values are DuckDB's own
//! window results, bit for bit (a test compares them, with windows whose middle closes are far apart).
use crate::duck::warehouse::Warehouse;
use crate::duck::{sqlfiles, stream, timed};
use crate::ingest::{AfterLoad, Load};
use crate::par;
use anyhow::{anyhow, bail, Context, Result};
use duckdb::arrow::array::{
    Array, ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use std::cmp::Ordering;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Trading days in a window: the current day and the 29 before it. A feature is NULL until a symbol
/// has this many rows.
pub const WINDOW: usize = 30;
/// Rows read and held at a time (DuckDB's result and its Arrow copy: about 500 MB at most, and the walk's
/// order and features, about 90 bytes a row: 180 MB): neighbouring symbols are read together up to this.
/// EXERCISE_FEATURES_PASS_ROWS changes it (the tests make many small passes).
const ROWS_PER_PASS: i64 = 2_000_000;

fn rows_per_pass() -> i64 {
    std::env::var("EXERCISE_FEATURES_PASS_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ROWS_PER_PASS)
}
// Positions in features_rows.sql's SELECT.
const SYMBOL: usize = 0;
const ADJ_CLOSE: usize = 7;
const DATE: usize = 2;
const VOLUME: usize = 8;

pub struct RollingFeatures;

/// The step `datasets::STOCKS` declares.
pub static ROLLING_FEATURES: RollingFeatures = RollingFeatures;

impl AfterLoad for RollingFeatures {
    fn run(&self, load: &Load) -> Result<Vec<String>> {
        let wh = load.wh;
        let (rows, passes) = recompute(wh)?;
        Ok(if rows == 0 {
            Vec::new()
        } else {
            vec![format!(
                "rolling features of {rows} row(s) recomputed ({} pass(es))",
                passes.len()
            )]
        })
    }
}

/// Appends the features of every touched symbol; returns the rows appended and the passes made.
fn recompute(wh: &Warehouse) -> Result<(usize, Vec<Pass>)> {
    // load.sql leaves the touched symbols; a run with no new file has none. Their features are cleared
    // here, by the step that writes them again.
    wh.execute_file("datasets/stocks/features_clear.sql")?;
    let passes = passes(wh)?;
    let mut rows = 0;
    for pass in &passes {
        let batches = timed("features: read", || read_pass(wh, pass))?;
        rows += timed("features: compute and insert", || insert(wh, batches))?;
    }
    Ok((rows, passes))
}

/// Neighbouring touched symbols, read and walked together.
pub struct Pass {
    first: String,
    last: String,
    rows: i64,
}

/// The touched symbols grouped into ranges of neighbours of about ROWS_PER_PASS rows. The symbols are
/// sorted here, in byte order (DuckDB's order of VARCHAR, which `Symbol BETWEEN` follows), so the ranges
/// never overlap nor leave a symbol out whatever order the counts come in.
fn passes(wh: &Warehouse) -> Result<Vec<Pass>> {
    let mut stmt = wh
        .conn
        .prepare(sqlfiles::get("datasets/stocks/features_passes.sql")?)?;
    let mut counts = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
        .collect::<Result<Vec<_>, _>>()
        .context("counting the rows of the touched symbols")?;
    counts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let limit = rows_per_pass();
    let mut passes: Vec<Pass> = Vec::new();
    for (symbol, n) in counts {
        match passes.last_mut() {
            Some(pass) if pass.rows + n <= limit => {
                pass.last = symbol;
                pass.rows += n;
            }
            _ => passes.push(Pass {
                first: symbol.clone(),
                last: symbol,
                rows: n,
            }),
        }
    }
    Ok(passes)
}

/// The rows of one pass, in the order DuckDB gives them (read whole: the rows cannot stream out of
/// DuckDB while the INSERT of their features runs on the same connection, and both belong to the load's
/// transaction). The walk orders them itself: DuckDB's ORDER BY sorted every column of 28M rows,
/// the security names too, and took 6.9 s of the step's 15 s (BENCHMARKS.md, session 13).
fn read_pass(wh: &Warehouse, pass: &Pass) -> Result<Vec<RecordBatch>> {
    let mut stmt = wh
        .conn
        .prepare(sqlfiles::get("datasets/stocks/features_rows.sql")?)?;
    let batches = stmt
        .stream_arrow([&pass.first, &pass.last])
        .with_context(|| {
            format!(
                "reading the prices of symbols {} to {}",
                pass.first, pass.last
            )
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let read: usize = batches.iter().map(RecordBatch::num_rows).sum();
    if i64::try_from(read).ok() != Some(pass.rows) {
        bail!(
            "features_rows.sql gave {read} rows for symbols {} to {}, where {} were counted: no features written",
            pass.first,
            pass.last,
            pass.rows
        );
    }
    Ok(batches)
}

/// Adds each row's two features to the rows of a pass, which keep the order they were read in, into
/// an INSERT that reads them on all of DuckDB's threads as they come (`batch_stream`; DuckDB's appender
/// converts on one thread: 14.5 s against 7.4 s for 28M rows).
fn insert(wh: &Warehouse, batches: Vec<RecordBatch>) -> Result<usize> {
    let Some(first) = batches.first() else {
        return Ok(0);
    };
    let mut fields: Vec<Field> = first
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new("vol_moving_avg", DataType::Float64, true));
    fields.push(Field::new("adj_close_rolling_med", DataType::Float64, true));
    let schema = Arc::new(Schema::new(fields));
    let (avg, median) = timed("features: walk", || features(&batches))?;
    let rows = avg.len();
    let out = schema.clone();
    stream::stream(
        schema,
        rows as u64,
        move |emit| {
            let mut at = 0;
            for batch in batches {
                let n = batch.num_rows();
                let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
                columns.push(Arc::new(Float64Array::from(avg[at..at + n].to_vec())));
                columns.push(Arc::new(Float64Array::from(median[at..at + n].to_vec())));
                at += n;
                emit(RecordBatch::try_new(out.clone(), columns)?)?;
            }
            Ok(())
        },
        |relation| {
            wh.execute(&format!(
                "INSERT INTO market.features SELECT * FROM {relation}"
            ))
            .context("inserting into market.features")
        },
    )?;
    Ok(rows)
}

/// A pass's rows as the walk reads them: one entry per row, in the order of the batches.
#[derive(Default)]
struct Rows<'a> {
    /// Each distinct symbol once, and each row's index into it.
    symbols: Vec<&'a str>,
    symbol_of: Vec<u32>,
    dates: Vec<i32>,
    closes: Vec<f64>,
    volumes: Vec<i64>,
}

impl<'a> Rows<'a> {
    fn of(batches: &'a [RecordBatch]) -> Result<Rows<'a>> {
        let mut rows = Rows::default();
        let mut known: HashMap<&'a str, u32> = HashMap::new();
        for batch in batches {
            let symbols = column::<StringArray>(batch, SYMBOL)?;
            rows.dates
                .extend_from_slice(column::<Date32Array>(batch, DATE)?.values());
            rows.closes
                .extend_from_slice(column::<Float64Array>(batch, ADJ_CLOSE)?.values());
            rows.volumes
                .extend_from_slice(column::<Int64Array>(batch, VOLUME)?.values());
            // a symbol's rows mostly come together: the last one is looked up first
            let mut last: Option<(&str, u32)> = None;
            for i in 0..batch.num_rows() {
                let symbol = symbols.value(i);
                let id = match last {
                    Some((name, id)) if name == symbol => id,
                    _ => {
                        let next = u32::try_from(rows.symbols.len())?;
                        let id = *known.entry(symbol).or_insert(next);
                        if id == next {
                            rows.symbols.push(symbol);
                        }
                        id
                    }
                };
                last = Some((symbol, id));
                rows.symbol_of.push(id);
            }
        }
        Ok(rows)
    }

    /// The rows' positions by symbol (in byte order, as DuckDB sorts VARCHAR), then date: counted into
    /// one run per symbol, in the order read; a run is sorted by date only when it is not already.
    /// Returns the positions and each symbol's run of them.
    fn walk_order(&self) -> (Vec<u32>, Vec<Run<'a>>) {
        let mut by_name: Vec<u32> = (0..self.symbols.len() as u32).collect();
        by_name.sort_unstable_by_key(|&id| self.symbols[id as usize]);
        let mut rank = vec![0usize; by_name.len()];
        for (r, &id) in by_name.iter().enumerate() {
            rank[id as usize] = r;
        }
        // where each symbol's run starts
        let mut starts = vec![0usize; by_name.len() + 1];
        for &id in &self.symbol_of {
            starts[rank[id as usize] + 1] += 1;
        }
        for r in 1..starts.len() {
            starts[r] += starts[r - 1];
        }
        let mut order = vec![0u32; self.symbol_of.len()];
        let mut next = starts.clone();
        for (i, &id) in self.symbol_of.iter().enumerate() {
            let r = rank[id as usize];
            order[next[r]] = i as u32;
            next[r] += 1;
        }
        let mut runs = Vec::with_capacity(by_name.len());
        for (&id, run) in by_name.iter().zip(starts.windows(2)) {
            let days = &mut order[run[0]..run[1]];
            if !days.is_sorted_by_key(|&i| self.dates[i as usize]) {
                days.sort_unstable_by_key(|&i| self.dates[i as usize]);
            }
            runs.push(Run {
                symbol: self.symbols[id as usize],
                start: run[0],
                end: run[1],
            });
        }
        (order, runs)
    }
}

/// One symbol's rows of a pass: `start..end` of the walk's order.
struct Run<'a> {
    symbol: &'a str,
    start: usize,
    end: usize,
}

/// A row's two features: the average volume and the median adjusted close of its window.
type Features = (Option<f64>, Option<f64>);
/// One feature of every row of a pass.
type FeatureColumn = Vec<Option<f64>>;

/// The two features of every row of the batches, in the rows' order; each symbol's rows are walked by
/// date, the symbols side by side on the machine's cores.
fn features(batches: &[RecordBatch]) -> Result<(FeatureColumn, FeatureColumn)> {
    let rows = Rows::of(batches)?;
    let n = rows.dates.len();
    if u32::try_from(n).is_err() {
        bail!("a features pass of {n} rows is too large");
    }
    let (order, runs) = rows.walk_order();
    let walked = par::parallel_map(&runs, |run| {
        let mut window = Window::default();
        order[run.start..run.end]
            .iter()
            .map(|&i| {
                let i = i as usize;
                window.step(run.symbol, rows.dates[i], rows.closes[i], rows.volumes[i])
            })
            .collect::<Result<Vec<Features>>>()
    })?;
    let mut avg = vec![None; n];
    let mut median = vec![None; n];
    for (&i, (a, m)) in order.iter().zip(walked.into_iter().flatten()) {
        avg[i as usize] = a;
        median[i as usize] = m;
    }
    Ok((avg, median))
}

/// One symbol's last WINDOW days, carried from row to row of the walk.
#[derive(Default)]
struct Window {
    symbol: String,
    /// (adjusted close, volume) of the days in the window, oldest first.
    days: VecDeque<(f64, i64)>,
    /// The same adjusted closes, sorted.
    sorted: Vec<f64>,
    volume_sum: i128,
    /// The day of the row walked last (days since 1970), for the order check.
    last_date: Option<i32>,
}

impl Window {
    /// The features of the next row of the walk, which comes after the last one by symbol (in byte
    /// order), then date.
    fn step(&mut self, symbol: &str, date: i32, close: f64, volume: i64) -> Result<Features> {
        // a symbol or day out of order would silently give wrong windows
        let in_order = match symbol.cmp(self.symbol.as_str()) {
            Ordering::Greater => {
                self.symbol = symbol.to_string();
                self.days.clear();
                self.sorted.clear();
                self.volume_sum = 0;
                true
            }
            Ordering::Equal => self.last_date.is_none_or(|d| date > d),
            Ordering::Less => false,
        };
        if !in_order && symbol == self.symbol && self.last_date == Some(date) {
            bail!(
                "market.prices holds {symbol} {} twice: no features written",
                day(date)
            );
        }
        if !in_order {
            bail!(
                "the walk met {symbol} {} after {} {}: rows out of order, no features written",
                day(date),
                self.symbol,
                self.last_date.map_or_else(String::new, day)
            );
        }
        self.last_date = Some(date);
        self.push(close, volume);
        let full = self.days.len() == WINDOW;
        Ok((
            full.then(|| self.average_volume()),
            full.then(|| self.median_close()),
        ))
    }

    fn push(&mut self, close: f64, volume: i64) {
        if self.days.len() == WINDOW {
            if let Some((old_close, old_volume)) = self.days.pop_front() {
                self.volume_sum -= i128::from(old_volume);
                let at = self
                    .sorted
                    .partition_point(|x| x.total_cmp(&old_close).is_lt());
                self.sorted.remove(at);
            }
        }
        self.days.push_back((close, volume));
        self.volume_sum += i128::from(volume);
        let at = self.sorted.partition_point(|x| x.total_cmp(&close).is_lt());
        self.sorted.insert(at, close);
    }

    /// As DuckDB's avg of BIGINT: the exact sum, then one division (equal while the 30 volumes sum to
    /// less than 2^53, about 9e15, which a double holds exactly; DuckDB divides in long double).
    fn average_volume(&self) -> f64 {
        self.volume_sum as f64 / self.days.len() as f64
    }

    /// As DuckDB's median (quantile_cont 0.5) of an even count: lo * (1 - 0.5) + hi * 0.5, DuckDB's
    /// interpolation; `lo + (hi - lo) * 0.5` differs in the last bit when hi is more than twice lo.
    fn median_close(&self) -> f64 {
        let n = self.sorted.len();
        let (lo, hi) = (self.sorted[(n - 1) / 2], self.sorted[n / 2]);
        lo * (1.0 - 0.5) + hi * 0.5
    }
}

/// A DATE as DuckDB sends it (days since 1970-01-01), for messages.
fn day(days: i32) -> String {
    chrono::NaiveDate::from_num_days_from_ce_opt(days + 719_163)
        .map_or_else(|| format!("day {days}"), |d| d.to_string())
}

fn column<T: 'static>(batch: &RecordBatch, i: usize) -> Result<&T> {
    batch
        .columns()
        .get(i)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| {
            anyhow!("features_rows.sql: column {i} is not of the type the rolling features read")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_keeps_thirty_days_sorted_and_forgets_the_oldest() {
        let mut w = Window::default();
        for day in 0..40 {
            // closes 39, 38, ... so the oldest is always the largest
            w.push(f64::from(39 - day), 100 + i64::from(day));
        }
        assert_eq!(w.days.len(), WINDOW);
        // the last 30 days: closes 29..0, volumes 110..139
        assert_eq!(w.sorted.first(), Some(&0.0));
        assert_eq!(w.sorted.last(), Some(&29.0));
        assert!(w.sorted.windows(2).all(|p| p[0] <= p[1]));
        assert_eq!(w.average_volume(), (110..140).sum::<i64>() as f64 / 30.0);
        assert_eq!(w.median_close(), 14.5);
    }

    fn batch(rows: &[(&str, i32, f64, i64)]) -> RecordBatch {
        let n = rows.len();
        let columns: Vec<(&str, ArrayRef)> = vec![
            (
                "Symbol",
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
            ),
            (
                "Security Name",
                Arc::new(StringArray::from(vec![None::<&str>; n])),
            ),
            (
                "Date",
                Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| r.1))),
            ),
            ("Open", Arc::new(Float64Array::from(vec![1.0; n]))),
            ("High", Arc::new(Float64Array::from(vec![1.0; n]))),
            ("Low", Arc::new(Float64Array::from(vec![1.0; n]))),
            ("Close", Arc::new(Float64Array::from(vec![1.0; n]))),
            (
                "Adj Close",
                Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.2))),
            ),
            (
                "Volume",
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.3))),
            ),
        ];
        RecordBatch::try_from_iter(columns).unwrap()
    }

    /// The features of rows already in (symbol, date) order, one step at a time.
    fn stepped(rows: &[(&str, i32, f64, i64)]) -> Vec<(Option<f64>, Option<f64>)> {
        let mut w = Window::default();
        rows.iter()
            .map(|&(s, d, c, v)| w.step(s, d, c, v).unwrap())
            .collect()
    }

    /// Shuffles rows given in (symbol, date) order with `(i * step + 3) % n` (a permutation when `step`
    /// and n share no factor), appends `in_order` as they are (a symbol whose days need no sorting), cuts
    /// them into batches of 30 and checks that every row gets the features it gets when stepped in
    /// order. Returns how many rows have features.
    fn check_walk(
        sorted: &[(&str, i32, f64, i64)],
        step: usize,
        in_order: &[(&str, i32, f64, i64)],
    ) -> usize {
        let mut all = sorted.to_vec();
        all.extend_from_slice(in_order);
        let expected = stepped(&all);
        let n = sorted.len();
        let mut places: Vec<usize> = (0..n).map(|i| (i * step + 3) % n).collect();
        places.extend(n..all.len());
        let mut seen = places.clone();
        seen.sort_unstable();
        assert!(seen.iter().copied().eq(0..all.len()), "not a permutation");
        let rows: Vec<_> = places.iter().map(|&i| all[i]).collect();
        let batches: Vec<RecordBatch> = rows.chunks(30).map(batch).collect();
        let (avg, median) = features(&batches).unwrap();
        for (at, &i) in places.iter().enumerate() {
            assert_eq!(
                (avg[at], median[at]),
                expected[i],
                "row {at}: {:?}",
                rows[at]
            );
        }
        avg.iter().filter(|a| a.is_some()).count()
    }

    fn days_of(symbol: &str, days: std::ops::Range<i32>) -> Vec<(&str, i32, f64, i64)> {
        days.map(|d| {
            let close = f64::from((d * 37).rem_euclid(101)) / 7.0;
            (symbol, d, close, i64::from(1000 + d * d))
        })
        .collect()
    }

    #[test]
    fn rows_read_in_any_order_get_the_features_of_their_place_in_the_walk() {
        // Two symbols of 40 days each, days before and after 1970 (negative day numbers), shuffled
        // into three batches of a pass; a third symbol whose days come in order.
        let mut sorted = days_of("AB", -20..20);
        sorted.extend(days_of("B", -20..20));
        let tail = days_of("C", 0..31);
        assert_eq!(check_walk(&sorted, 7, &tail), 2 * 11 + 2);
    }

    #[test]
    fn many_symbols_are_walked_side_by_side_as_one_would_walk_them() {
        // 70 symbols (enough for the walk to go on every core) of 35 days each: 2,450 rows, shuffled
        let names: Vec<String> = (0..70).map(|i| format!("S{i:02}")).collect();
        let sorted: Vec<_> = names.iter().flat_map(|s| days_of(s, 100..135)).collect();
        assert_eq!(check_walk(&sorted, 3, &[]), 70 * 6);
    }

    #[test]
    fn rows_out_of_order_or_twice_are_refused_not_walked() {
        let mut w = Window::default();
        for (s, d) in [("A", 1), ("A", 2), ("B", 1)] {
            assert!(w.step(s, d, 1.0, 1).is_ok());
        }
        // going back to a symbol already left
        let err = w.step("A", 3, 1.0, 1).unwrap_err().to_string();
        assert!(
            err.contains("A 1970-01-04 after B 1970-01-02: rows out of order"),
            "{err}"
        );
        let mut w = Window::default();
        assert!(w.step("A", 2, 1.0, 1).is_ok());
        let err = w.step("A", 1, 1.0, 1).unwrap_err().to_string();
        assert!(err.contains("out of order"), "{err}");
        // the same symbol and day on two rows of a pass, wherever they are
        let rows = [("A", 2, 1.0, 1), ("B", 5, 1.0, 1), ("A", 2, 2.0, 2)];
        let batches: Vec<RecordBatch> = rows.chunks(2).map(batch).collect();
        let err = features(&batches).unwrap_err().to_string();
        assert!(err.contains("holds A 1970-01-03 twice"), "{err}");
    }
}
