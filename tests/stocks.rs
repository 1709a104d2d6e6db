//! Stock prices: hand-written CSVs whose rolling features can be checked by hand.
mod common;
use common::Workspace;
use predicates::str::contains;

/// `n` consecutive days from `start` (a DuckDB-free date walk on January-March 2020).
fn days(start: (u32, u32), n: usize) -> Vec<String> {
    let month_len = [31, 29, 31];
    let (mut m, mut d) = start;
    (0..n)
        .map(|_| {
            let s = format!("2020-{m:02}-{d:02}");
            d += 1;
            if d > month_len[(m - 1) as usize] {
                d = 1;
                m += 1;
            }
            s
        })
        .collect()
}

const HEADER: &str = "Date,Open,High,Low,Close,Adj Close,Volume\n";

/// Rows whose Volume is `scale * i` and Adj Close is `i`, for i = 1.. in date order.
fn rows(dates: &[String], scale: u64) -> Vec<String> {
    dates
        .iter()
        .enumerate()
        .map(|(k, date)| {
            let i = k as u64 + 1;
            format!("{date},{i}.5,{i}.9,{i}.1,{i}.4,{i}.0,{}", scale * i)
        })
        .collect()
}

fn layout(ws: &Workspace) {
    let mut aaa = rows(&days((1, 1), 35), 1);
    aaa[6] = aaa[6].clone() + ".0"; // volume written as a float: 7.0
    aaa.insert(12, String::new()); // an empty line
    ws.write(
        "data/etfs/AAA.csv",
        &(HEADER.to_string() + &aaa.join("\n") + "\n"),
    );
    let mut bbb = rows(&days((1, 1), 10), 100);
    bbb.push("2001-09-12,,,,,,".into());
    bbb.push("garbage".into());
    ws.write(
        "data/stocks/BBB.csv",
        &(HEADER.to_string() + &bbb.join("\n") + "\n"),
    );
    let mut dates = days((1, 1), 15);
    dates.extend(days((3, 1), 16)); // a gap of six weeks
    let mut ccc = rows(&dates, 10);
    ccc.push(ccc[3].clone()); // the same row again: a duplicate
    ccc.push(ccc[4].replace(",5.4,", ",9.9,")); // the same day with another Close: a conflict
    ws.write(
        "data/stocks/CCC.csv",
        &(HEADER.to_string() + &ccc.join("\n") + "\n"),
    );
    ws.write(
        "data/symbols_valid_meta.csv",
        "Nasdaq Traded,Symbol,Security Name,Listing Exchange,Market Category,ETF,Round Lot Size,Test Issue,Financial Status,CQS Symbol,NASDAQ Symbol,NextShares\n\
         Y,AAA,\"AAA Fund, Inc.\",P, ,Y,100.0,N,,AAA,AAA,N\n\
         Y,BBB,BBB Corp. Common Stock,N, ,N,100.0,N,,BBB,BBB,N\n",
    );
}

#[test]
fn prices_are_typed_rejected_and_accounted() {
    let ws = Workspace::new();
    layout(&ws);
    let load = ws.ingest("stocks", &["data"]);
    assert_eq!(load.code, Some(1), "rejects make the exit code 1: {load}");
    assert_eq!(load.rows(), (82, 78, 1, 3), "{load}");
    assert!(
        load.stdout
            .contains("data/stocks/CCC.csv: no row in symbols_valid_meta.csv"),
        "{load}"
    );
    let err = &load.stderr;
    assert!(err.contains("BBB.csv:12: missing values"), "{err}");
    assert!(
        err.contains("BBB.csv:13: expected 7 fields, found 1"),
        "{err}"
    );
    assert!(
        err.contains("CCC.csv:34: conflicts with line 6 for CCC 2020-01-05"),
        "{err}"
    );
    assert_eq!(
        ws.csv("SELECT Symbol, \"Security Name\", is_etf, count(*) AS n, sum(Volume) AS v FROM market.prices GROUP BY ALL ORDER BY 1"),
        "Symbol,Security Name,is_etf,n,v\nAAA,\"AAA Fund, Inc.\",true,35,630\nBBB,BBB Corp. Common Stock,false,10,5500\nCCC,,false,31,4960\n"
    );
    assert_eq!(
        ws.count("SELECT count(*) - count(DISTINCT (Symbol, Date)) FROM market.prices"),
        0
    );
}

#[test]
fn rolling_features_match_hand_computation() {
    let ws = Workspace::new();
    layout(&ws);
    ws.ingest("stocks", &["data"]);
    // AAA: Volume = Adj Close = i; the window of row i >= 30 is i-29..i, mean = median = i - 14.5
    assert_eq!(
        ws.csv("SELECT Date, vol_moving_avg, adj_close_rolling_med FROM market.features WHERE Symbol = 'AAA' AND Date BETWEEN '2020-01-29' AND '2020-01-31' ORDER BY Date"),
        "Date,vol_moving_avg,adj_close_rolling_med\n2020-01-29,,\n2020-01-30,15.5,15.5\n2020-01-31,16.5,16.5\n"
    );
    assert_eq!(ws.count("SELECT count(*) FROM market.features WHERE Symbol = 'AAA' AND vol_moving_avg IS NOT NULL"), 6);
    // BBB has 10 trading days: never 30
    assert_eq!(ws.count("SELECT count(vol_moving_avg) + count(adj_close_rolling_med) FROM market.features WHERE Symbol = 'BBB'"), 0);
    // CCC: the window counts trading days across the six-week gap; Volume = 10 i
    assert_eq!(
        ws.csv("SELECT Date, vol_moving_avg, adj_close_rolling_med FROM market.features WHERE Symbol = 'CCC' AND vol_moving_avg IS NOT NULL ORDER BY Date"),
        "Date,vol_moving_avg,adj_close_rolling_med\n2020-03-15,155.0,15.5\n2020-03-16,165.0,16.5\n"
    );
    // the calendar variant: 2020-03-16 looks back to 2020-02-16, i.e. rows 16..31 only
    assert_eq!(
        ws.csv("SELECT vol_moving_avg, trading_days_in_window FROM market.features_calendar_30d WHERE Symbol = 'CCC' AND Date = '2020-03-16'"),
        "vol_moving_avg,trading_days_in_window\n235.0,16\n"
    );
    assert_eq!(
        ws.count("SELECT count(*) FROM market.features"),
        ws.count("SELECT count(*) FROM market.prices")
    );
}

#[test]
fn reingestion_adds_nothing_and_an_extended_file_adds_only_new_days() {
    let ws = Workspace::new();
    layout(&ws);
    ws.ingest("stocks", &["data"]);
    let load = ws.ingest("stocks", &["data"]).success();
    assert_eq!((load.loaded, load.unchanged), (0, 4), "{load}");
    // read again: the bad lines are duplicates of the rejects already kept, not new rejects
    let rejects = ws.count("SELECT count(*) FROM market.prices_rejected");
    assert_eq!(rejects, 3);
    let forced = ws.ingest("stocks", &["data", "--force"]).success();
    assert_eq!(forced.rows().3, 0, "{forced}");
    assert_eq!(
        ws.count("SELECT count(*) FROM market.prices_rejected"),
        rejects
    );
    assert_eq!(ws.count("SELECT count(*) FROM market.prices"), 76);
    // BBB gains two days: only those are inserted, and its features are recomputed
    let mut bbb = rows(&days((1, 1), 12), 100);
    bbb.push(String::new());
    ws.write(
        "data/stocks/BBB.csv",
        &(HEADER.to_string() + &bbb.join("\n")),
    );
    let load = ws.ingest("stocks", &["data"]).success();
    assert_eq!(load.rows(), (12, 2, 10, 0), "{load}");
    assert_eq!(
        ws.count("SELECT count(*) FROM market.features WHERE Symbol = 'BBB'"),
        12
    );
}

#[test]
fn a_file_without_the_header_fails_the_run() {
    let ws = Workspace::new();
    // a plain line, which the reader types: its text is kept all the same, to be quoted
    ws.write(
        "data/stocks/ZZZ.csv",
        "\n2020-01-01,1,2,3,4,5,6\n2020-01-02,1,2,3,4,5,6\n",
    );
    let load = ws.ingest("stocks", &["data"]);
    assert_eq!(load.code, Some(1), "{load}");
    assert!(
        load.stderr.contains(
            "ZZZ.csv: first line is not the header Date,Open,High,Low,Close,Adj Close,Volume: 2020-01-01,1,2,3,4,5,6"
        ),
        "{load}"
    );
    assert_eq!(ws.count("SELECT count(*) FROM market.prices"), 0);
}

#[test]
fn a_file_whose_first_line_comes_after_a_block_of_blank_lines_still_needs_the_header() {
    // 1.1 MB of blank lines put the first line in the file's second block (of 1 MiB), where the reader
    // does not keep a first line for SQL: a plain price line there goes straight, and is found there
    let blank = "\n".repeat(1_100_000);
    for (typed, body) in [
        ("on", "2020-01-02,1,2,3,4,5,6\n"),
        ("off", "2020-01-02,1,2,3,4,5,6\n"),
        // a header after it does not make it the first line
        (
            "on",
            "2020-01-02,1,2,3,4,5,6\nDate,Open,High,Low,Close,Adj Close,Volume\n",
        ),
        (
            "off",
            "2020-01-02,1,2,3,4,5,6\nDate,Open,High,Low,Close,Adj Close,Volume\n",
        ),
    ] {
        let ws = Workspace::new();
        ws.write(
            "data/stocks/ZZZ.csv",
            &format!("{blank}{body}2020-01-03,1,2,3,4,5,6.5\n"),
        );
        let load = ws
            .exercise()
            .env("EXERCISE_TYPED_LINES", typed)
            .args(["ingest-data", "--dataset", "stocks", "data"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&load.stderr);
        assert_eq!(load.status.code(), Some(1), "{typed}: {stderr}");
        // (SQL typing every line has its text; the reader, typing it, sent none, and names it)
        let quoted = match typed {
            "on" => "line 1100001 (its text is in a later block of the file)",
            _ => "2020-01-02,1,2,3,4,5,6",
        };
        assert!(
            stderr.contains(&format!(
                "ZZZ.csv: first line is not the header Date,Open,High,Low,Close,Adj Close,Volume: {quoted}"
            )),
            "{typed}: {stderr}"
        );
        assert_eq!(ws.count("SELECT count(*) FROM market.prices"), 0);
    }
    // the header first, after the blank lines, loads
    let ws = Workspace::new();
    ws.write(
        "data/stocks/ZZZ.csv",
        &format!("{blank}Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-02,1,3,1,2,2,6\n"),
    );
    let load = ws.ingest("stocks", &["data"]);
    assert_eq!(load.code, Some(0), "{load}");
    assert_eq!(
        ws.count("SELECT count(*) FROM market.prices WHERE line_number = 1100002"),
        1
    );
}

#[test]
fn a_file_with_the_bytes_of_another_holds_another_symbols_prices() {
    // the symbol is the file's name: the same bytes under two names are two symbols' prices, not a copy
    let ws = Workspace::new();
    let text = "Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-02,1,3,1,2,2,6\n2020-01-03,1,3,1,2,2,7\n";
    ws.write("data/stocks/AAA.csv", text);
    ws.write("data/stocks/ZZZ.csv", text);
    let load = ws.ingest("stocks", &["data"]);
    assert_eq!(load.code, Some(0), "{load}");
    assert!(!load.stdout.contains("same content"), "{load}");
    assert_eq!(
        ws.csv("SELECT Symbol, count(*) AS n FROM market.prices GROUP BY Symbol ORDER BY Symbol"),
        "Symbol,n\nAAA,2\nZZZ,2\n"
    );
    // a third name in a later run too; the first two are unchanged
    ws.write("data/etfs/MMM.csv", text);
    let again = ws.ingest("stocks", &["data"]);
    assert_eq!(again.code, Some(0), "{again}");
    assert!(
        again.stdout.contains("1 file(s) loaded, 2 unchanged"),
        "{again}"
    );
    assert_eq!(
        ws.count("SELECT count(*) FROM market.prices WHERE Symbol = 'MMM'"),
        2
    );
}

#[test]
fn export_writes_parquet_stages_partitioned_or_whole() {
    let ws = Workspace::new();
    layout(&ws);
    ws.ingest("stocks", &["data"]);
    ws.exercise()
        .args(["export", "market.prices", "--to", "stage1"])
        .assert()
        .success();
    ws.exercise()
        .args([
            "export",
            "market.features",
            "--to",
            "stage2",
            "--partition-by",
            "Symbol",
        ])
        .assert()
        .success()
        .stdout(contains("exported 76 rows of market.features"));
    assert!(ws.path("stage2/Symbol=AAA").is_dir());
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let n: i64 = conn
        .query_row(&format!("SELECT count(*) FROM read_parquet('{}/stage2/*/*.parquet', hive_partitioning = true) WHERE Symbol = 'CCC'", ws.dir.path().display()), [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 31);
    let n: i64 = conn
        .query_row(
            &format!(
                "SELECT count(*) FROM '{}/stage1/market.prices.parquet'",
                ws.dir.path().display()
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 76);
    ws.exercise()
        .args(["export", "market.nope", "--to", "x"])
        .assert()
        .code(1)
        .stderr(contains("no table or view named market.nope"));
}

#[test]
fn a_symbol_in_both_folders_repeats_across_files_and_headers_are_not_rows() {
    let ws = Workspace::new();
    let dates = days((1, 1), 3);
    let all = rows(&dates, 1);
    // DDD as an ETF: three days; a blank line before the header, and the header again mid-file
    ws.write(
        "data/etfs/DDD.csv",
        &format!("\n{HEADER}{}\n{HEADER}{}\n", all[0], all[1..].join("\n")),
    );
    // DDD as a stock: day 1 again (same values: a duplicate), day 2 with another Close (a conflict)
    let conflict = all[1].replace(",2.4,", ",7.7,");
    ws.write(
        "data/stocks/DDD.csv",
        &format!("{HEADER}{}\n{conflict}\n", all[0]),
    );
    let load = ws
        .ingest("stocks", &["data", "--max-rejects", "5"])
        .success();
    assert_eq!(load.rows(), (5, 3, 1, 1), "{load}");
    assert_eq!(
        ws.csv("SELECT regexp_extract(source_file, '[a-z]+/DDD.csv') AS f, line_number, raw, regexp_replace(reason, ' of .*/data/', ' of ') AS reason FROM market.prices_rejected"),
        format!("f,line_number,raw,reason\nstocks/DDD.csv,3,\"{conflict}\",conflicts with line 5 of etfs/DDD.csv for DDD 2020-01-02\n")
    );
    assert_eq!(
        ws.csv("SELECT Date, Close, is_etf FROM market.prices ORDER BY Date"),
        "Date,Close,is_etf\n2020-01-01,1.4,true\n2020-01-02,2.4,true\n2020-01-03,3.4,true\n"
    );
}

#[test]
fn rolling_features_equal_duckdbs_window_functions_bit_for_bit() {
    // Generated prices (random walks, repeated values, symbols of fewer than 30 days): the features the
    // load appends are exactly what DuckDB's window functions give, compared with EXCEPT ALL both ways.
    let ws = Workspace::new();
    ws.generate(&[
        "stocks",
        "--symbols",
        "40",
        "--rows",
        "30000",
        "--output",
        "gen",
    ]);
    // Windows whose two middle closes are far apart (hi > 2 lo), where an interpolation written as
    // lo + (hi - lo) * 0.5 differs from DuckDB's lo * 0.5 + hi * 0.5 in the last bit.
    let closes = [47.22, 382.4483, 0.0123, 1000.75, 3.3, 97.000001];
    let jumps: Vec<String> = days((1, 1), 90)
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let c = closes[(i / 15) % closes.len()];
            format!("{day},{c},{c},{c},{c},{c},{}", 1000 + 7 * i)
        })
        .collect();
    ws.write(
        "gen/stocks/ZZJUMP.csv",
        &format!("{HEADER}{}\n", jumps.join("\n")),
    );
    // in passes of at most 3,000 rows (about a tenth of the data), as a big load is
    ws.exercise()
        .env("EXERCISE_FEATURES_PASS_ROWS", "3000")
        .args([
            "ingest-data",
            "--dataset",
            "stocks",
            "gen",
            "--max-rejects",
            "1000000",
        ])
        .assert()
        .success()
        .stdout(
            predicates::str::is_match(
                r"rolling features of \d+ row\(s\) recomputed \(1\d pass\(es\)\)",
            )
            .unwrap(),
        );
    let window = "SELECT Symbol, \"Security Name\", Date, Open, High, Low, Close, \"Adj Close\", Volume, is_etf,
               CASE WHEN row_number() OVER days >= 30 THEN avg(Volume) OVER w END AS vol_moving_avg,
               CASE WHEN row_number() OVER days >= 30 THEN median(\"Adj Close\") OVER w END AS adj_close_rolling_med
        FROM market.prices
        WINDOW days AS (PARTITION BY Symbol ORDER BY Date),
               w AS (PARTITION BY Symbol ORDER BY Date ROWS BETWEEN 29 PRECEDING AND CURRENT ROW)";
    let features = "SELECT * FROM market.features";
    assert!(ws.count("SELECT count(adj_close_rolling_med) FROM market.features") > 20_000);
    for (a, b) in [(features, window), (window, features)] {
        assert_eq!(
            ws.count(&format!("SELECT count(*) FROM ({a} EXCEPT ALL {b})")),
            0,
            "{a}\nEXCEPT ALL\n{b}"
        );
    }
}

/// The reader types plain price lines itself (src/datasets/stocks.rs); SQL splits and types the rest.
/// Both must land the same prices, features and rejects: the same files are loaded with the typer and
/// without it (`EXERCISE_TYPED_LINES=off`).
#[test]
fn prices_typed_by_the_reader_land_exactly_as_sql_would_type_them() {
    let lines = [
        HEADER.trim_end(),
        "2020-01-02,10.5,11,10.25,10.8,9.7,1158000",
        "2020-01-03,-0.5,0,0.0,1.25,0.1,0",
        "2020-01-06,0.30000000000000004,12345678901234567,1.5,2.5,3.5,9",
        "2020-01-07,10.5,11,10.25,10.8,9.7,1158000.0",
        "2020-01-08,1e1,11,10.25,10.8,9.7,5",
        "2020-01-09,0.1000000000000000000001,11,10.25,10.8,9.7,5",
        "2020-01-10,10,11,10,10,10,-5",
        "2020-01-13,10,11,10,10,10,5.5",
        "2020-02-30,10,11,10,10,10,5",
        "2020-1-14,10,11,10,10,10,5",
        "2300-01-15,10,11,10,10,10,5",
        "1899-12-31,10,11,10,10,10,5",
        "2020-01-16,10,11,10,10,10",
        "2020-01-17,10,,10,10,10,5",
        "2020-01-02,10.5,11,10.25,10.8,9.7,1158000",
        "2020-01-02,10.5,11,10.25,10.9,9.7,1158000",
        "2020-01-20, 10,11,10,10,10,5",
        "2020-01-21,nan,11,10,10,10,5",
        "2020-01-22,inf,11,10,10,10,5",
        "2020-01-23,01,11,10,10,10,5",
        "2020-01-24,10,11,10,10,10,99999999999999999999",
        // one day typed by the reader and again by SQL (1e1 is not plain), the same values and not
        "2020-01-27,10,11,10,10,10,5",
        "2020-01-27,1e1,11,10,10,10,5",
        "2020-01-28,1e1,11,10,10,10,5",
        "2020-01-28,10,11,10,10,10,6",
        // whole volumes with a fraction of zeros, and not
        "2020-01-29,10,11,10,10,10,7.",
        "2020-01-30,10,11,10,10,10,8.000",
        "2020-01-31,10,11,10,10,10,-7.0",
        "2020-02-03,10,11,10,10,10,7.01",
        // dates the cast would take as some other day, or with a time it would drop
        "epoch,10,11,10,10,10,5",
        "infinity,10,11,10,10,10,5",
        "2020-02-04 16:00:00,10,11,10,10,10,5",
        "2020-02-05T00:00:00+05,10,11,10,10,10,5",
        // prices beyond a double's range: not stored as 0 or infinity
        "2020-02-06,1e-400,11,10,10,10,5",
        "2020-02-07,10,1e400,10,10,10,5",
    ];
    let load = |typed: &str| {
        let ws = Workspace::new();
        ws.write("data/stocks/AAA.csv", &(lines.join("\n") + "\n"));
        ws.write("data/etfs/BBB.csv", &(lines[..4].join("\r\n") + "\r\n"));
        let tables = [
            "SELECT * EXCLUDE (source_file_id) FROM market.prices ORDER BY ALL",
            "SELECT * FROM market.features ORDER BY ALL",
            "SELECT * EXCLUDE (rejected_at, source_file) FROM market.prices_rejected ORDER BY ALL",
        ];
        let args = ["--dataset", "stocks", "data", "--max-rejects", "100"];
        ws.ingest_typed(typed, &args, &tables).1
    };
    let typed = load("on");
    assert_eq!(typed, load("off"));
    assert!(
        typed[0]
            .contains("AAA,,2020-01-06,0.30000000000000004,1.2345678901234568e16,1.5,2.5,3.5,9"),
        "{}",
        typed[0]
    );
    assert!(
        typed[2].contains("Date is outside the years 1900-2199: 2300-01-15"),
        "{}",
        typed[2]
    );
    for date in [
        "epoch",
        "infinity",
        "2020-02-04 16:00:00",
        "2020-02-05T00:00:00+05",
    ] {
        let reason = format!("Date is not a date (YYYY-MM-DD): {date}");
        assert!(typed[2].contains(&reason), "{reason}: {}", typed[2]);
    }
    assert!(typed[0].contains("AAA,,2020-01-14,"), "{}", typed[0]);
    for (day, reason) in [
        ("2020-02-06", "Open is not a number: 1e-400"),
        ("2020-02-07", "High is not a number: 1e400"),
    ] {
        assert!(!typed[0].contains(day), "{day}: {}", typed[0]);
        let reject = typed[2].lines().find(|l| l.contains(day));
        assert!(
            reject.is_some_and(|l| l.ends_with(reason)),
            "{day}: {}",
            typed[2]
        );
    }
    // the day typed twice ways: one row, and the differing repeat rejected against the first
    assert_eq!(
        typed[0].matches("AAA,,2020-01-27,").count(),
        1,
        "{}",
        typed[0]
    );
    assert!(
        typed[2].contains("conflicts with line 25 for AAA 2020-01-28"),
        "{}",
        typed[2]
    );
}

#[test]
fn a_refreshed_file_whose_every_day_conflicts_keeps_each_rejected_lines_text() {
    let days = |adj: &str| {
        let lines: Vec<String> = (1..=28)
            .flat_map(|d| (1..=12).map(move |m| (m, d)))
            .map(|(m, d)| format!("2020-{m:02}-{d:02},1,2,0.5,1.5,{adj},{m}{d}"))
            .collect();
        HEADER.to_string() + &lines.join("\n") + "\n"
    };
    let load = |typed: &str| {
        let ws = Workspace::new();
        ws.write("data/stocks/AAA.csv", &days("1.25"));
        let args = ["--dataset", "stocks", "data", "--max-rejects", "1000"];
        ws.ingest_typed(typed, &args, &[]);
        ws.write("data/stocks/AAA.csv", &days("1.5"));
        ws.ingest_typed(
            typed,
            &args,
            &["SELECT line_number, raw, reason FROM market.prices_rejected ORDER BY ALL"],
        )
        .1
    };
    let typed = load("on");
    assert_eq!(typed, load("off"));
    let rejects: Vec<&str> = typed[0].lines().skip(1).collect();
    assert_eq!(rejects.len(), 336, "{}", typed[0]);
    assert!(
        rejects[0].starts_with(
            "2,\"2020-01-01,1,2,0.5,1.5,1.5,11\",conflicts with the row already loaded"
        ),
        "{}",
        rejects[0]
    );
}
