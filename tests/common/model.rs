//! Helpers for the volume model's tests: a hand-made market.features, a trained model file read back,
//! and a served model with an HTTP client.
use super::{stderr, Workspace};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// One row of market.features: the columns the model reads (the others are filled with plausible values).
#[derive(Clone, Debug)]
pub struct Day {
    pub symbol: String,
    /// YYYY-MM-DD
    pub date: String,
    pub volume: i64,
    pub vol_moving_avg: Option<f64>,
    pub adj_close_rolling_med: Option<f64>,
}

pub fn day(symbol: &str, date: &str, volume: i64, vma: Option<f64>, med: Option<f64>) -> Day {
    Day {
        symbol: symbol.into(),
        date: date.into(),
        volume,
        vol_moving_avg: vma,
        adj_close_rolling_med: med,
    }
}

impl Workspace {
    /// Migrates the warehouse and puts exactly `days` in market.features, written with DuckDB directly
    /// (the connection is closed before this returns).
    pub fn with_features(&self, days: &[Day]) {
        let out = self.run(&["migrate"]);
        assert!(out.status.success(), "migrate: {}", stderr(&out));
        let mut conn = duckdb::Connection::open(self.db()).expect("open the warehouse");
        let tx = conn.transaction().expect("begin");
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO market.features VALUES
                     (?, 'Test Inc.', CAST(? AS DATE), 10, 11, 9, 10, 10, ?, false, ?, ?)",
                )
                .expect("prepare");
            for d in days {
                insert
                    .execute(duckdb::params![
                        d.symbol,
                        d.date,
                        d.volume,
                        d.vol_moving_avg,
                        d.adj_close_rolling_med
                    ])
                    .expect("insert a day");
            }
        }
        tx.commit().expect("commit");
        drop(conn);
    }

    /// `exercise train --out FILE ARGS...`, which must succeed; the model file's path.
    pub fn trained(&self, file: &str, args: &[&str]) -> PathBuf {
        let out = self.run(&[&["train", "--out", file], args].concat());
        assert!(
            out.status.success(),
            "train failed: {}\n{}",
            super::stdout(&out),
            stderr(&out)
        );
        self.path(file)
    }
}

// The hand-made table of the stump tests. Symbol AAA, one tree of depth 1 on every training row once
// (--trees 1 --max-depth 1 --no-bootstrap --min-samples-leaf 1 --test-from 2024-01-08):
//
//   date        vol_moving_avg  adj_close_rolling_med  Volume
//   2024-01-01  NULL            NULL                   5000000   left out: no features
//   2024-01-02  NULL            NULL                   5000000   left out
//   2024-01-03  100             40                     100       training rows: 5
//   2024-01-04  200             10                     120
//   2024-01-05  300             30                     140
//   2024-01-06  1000            20                     1000
//   2024-01-07  1100            50                     1041
//   2024-01-08  500             25                     400       test rows: 2
//   2024-01-09  900             25                     950
//   2024-01-10  950             NULL                   5000000   left out: one feature NULL
//
// Split candidates on vol_moving_avg (Volume in its order 100, 120, 140, 1000, 1041), squared error:
//   100 | 120 140 1000 1041             0 + 794 031 (right mean 575.25)
//   100 120 | 140 1000 1041             200 + 517 694 (means 110 and 727)
//   100 120 140 | 1000 1041             800 + 840.5 = 1 640.5 (means 120 and 1020.5)   <- least
//   100 120 140 1000 | 1041             581 600 + 0 (left mean 340)
// On adj_close_rolling_med (Volume in its order 120, 1000, 140, 100, 1041) every split leaves small
// and large volumes on one side: 812 541, 953 494, 947 540, 581 600. So the root tests vol_moving_avg at the
// midpoint of 300 and 1000, 650; the left leaf is 120, the right 1020.5, served rounded: 1021. A NULL
// row taken in (5 000 000) would move a leaf by a million.

pub const STUMP_THRESHOLD: f64 = 650.0;
pub const STUMP_LEFT: i64 = 120;
pub const STUMP_RIGHT: i64 = 1021;

pub fn stump_days() -> Vec<Day> {
    vec![
        day("AAA", "2024-01-01", 5_000_000, None, None),
        day("AAA", "2024-01-02", 5_000_000, None, None),
        day("AAA", "2024-01-03", 100, Some(100.0), Some(40.0)),
        day("AAA", "2024-01-04", 120, Some(200.0), Some(10.0)),
        day("AAA", "2024-01-05", 140, Some(300.0), Some(30.0)),
        day("AAA", "2024-01-06", 1000, Some(1000.0), Some(20.0)),
        day("AAA", "2024-01-07", 1041, Some(1100.0), Some(50.0)),
        day("AAA", "2024-01-08", 400, Some(500.0), Some(25.0)),
        day("AAA", "2024-01-09", 950, Some(900.0), Some(25.0)),
        day("AAA", "2024-01-10", 5_000_000, Some(950.0), None),
    ]
}

pub const STUMP_ARGS: [&str; 10] = [
    "--trees",
    "1",
    "--max-depth",
    "1",
    "--no-bootstrap",
    "--min-samples-leaf",
    "1",
    "--no-random-split",
    "--test-from",
    "2024-01-08",
];

/// The stump table trained: the model file `stump.model` in the workspace.
pub fn stump_model(ws: &Workspace) -> PathBuf {
    ws.with_features(&stump_days());
    ws.trained("stump.model", &STUMP_ARGS)
}

/// `n` days of `symbols` symbols whose volume depends on both features, with noise; each symbol's
/// first 29 days have no features (as in market.features). Deterministic.
pub fn generated_days(symbols: usize, n: usize) -> Vec<Day> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut unit = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let dates = dates(n);
    let mut days = Vec::with_capacity(symbols * n);
    for s in 0..symbols {
        let symbol = format!("S{s:02}");
        for (i, date) in dates.iter().enumerate() {
            let vma = 1e5 + 9e5 * unit();
            let med = 5.0 + 95.0 * unit();
            let volume = (vma * (0.5 + unit()) + 1e3 * med) as i64;
            let features = i >= 29;
            days.push(day(
                &symbol,
                date,
                volume,
                features.then_some(vma),
                features.then_some(med),
            ));
        }
    }
    days
}

/// `n` increasing dates from 2000-01-01, the first 28 days of each month (valid in any month).
fn dates(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "{}-{:02}-{:02}",
                2000 + i / 336,
                1 + (i / 28) % 12,
                1 + i % 28
            )
        })
        .collect()
}

/// A model file's parts: (metadata, the trees' bytes). The layout is the one src/model/file.rs writes.
pub fn model_parts(path: &Path) -> (Value, Vec<u8>) {
    let bytes = std::fs::read(path).expect("read the model file");
    assert_eq!(&bytes[..8], b"EXFOREST");
    let meta_len = u64::from_le_bytes(bytes[12..20].try_into().unwrap()) as usize;
    let meta = serde_json::from_slice(&bytes[20..20 + meta_len]).expect("metadata is JSON");
    (meta, bytes[20 + meta_len..bytes.len() - 16].to_vec())
}

/// The bytes of a model file whose metadata is replaced by `meta` (and the checksum made valid again):
/// a file that is well formed but says something else about itself.
pub fn with_metadata(path: &Path, meta: &Value) -> Vec<u8> {
    let (_, trees) = model_parts(path);
    let bytes = std::fs::read(path).unwrap();
    let json = serde_json::to_vec(meta).unwrap();
    let mut out = bytes[..12].to_vec();
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&trees);
    let checksum = xxhash_rust::xxh3::xxh3_128(&out);
    out.extend_from_slice(&checksum.to_le_bytes());
    out
}

/// The suffix of a model version after its time: a digest of the trees.
pub fn trees_digest(model_version: &str) -> &str {
    model_version
        .rsplit_once('-')
        .expect("a version is TIME-DIGEST")
        .1
}

/// `exercise serve --model FILE --addr 127.0.0.1:0`, running until dropped (killed) or terminated.
pub struct Server {
    child: Child,
    pub base: String,
    pub version: String,
    agent: ureq::Agent,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub model_version: Option<String>,
    pub content_type: Option<String>,
    pub allow: Option<String>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// The answer is `status` with a JSON body `{"error": "..."}`; the message.
    #[track_caller]
    pub fn error(&self, status: u16) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        let json = self.json();
        let message = json["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message: {}", self.body));
        assert!(!message.is_empty());
        message.to_string()
    }
}

impl Server {
    pub fn start(ws: &Workspace, model: &Path) -> Server {
        Server::start_with(ws, model, &[])
    }

    /// `exercise serve` with more options (e.g. `--request-timeout 1`).
    pub fn start_with(ws: &Workspace, model: &Path, options: &[&str]) -> Server {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("exercise"))
            .current_dir(ws.dir.path())
            .env("WAREHOUSE_DB", ws.db())
            .arg("serve")
            .arg("--model")
            .arg(model)
            .args(["--addr", "127.0.0.1:0"])
            .args(options)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start exercise serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("read the server's first line");
        if line.is_empty() {
            let _ = child.wait();
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!("the server did not start: {err}");
        }
        // serving model V on http://127.0.0.1:PORT (Ctrl-C stops)
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            (words[0], words[1], words[3]),
            ("serving", "model", "on"),
            "{line}"
        );
        assert!(line.trim_end().ends_with("(Ctrl-C stops)"), "{line}");
        let base = words[4].to_string();
        assert!(base.starts_with("http://127.0.0.1:"), "{line}");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        Server {
            child,
            base,
            version: words[2].to_string(),
            agent,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn get(&self, path: &str) -> Reply {
        let response = self
            .agent
            .get(format!("{}{path}", self.base))
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        reply(response)
    }

    pub fn post(&self, path: &str, body: impl Into<Vec<u8>>) -> Reply {
        let response = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .send(body.into())
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        reply(response)
    }

    /// Any method, for the routes' other methods.
    pub fn request(&self, method: &str, path: &str) -> Reply {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .body(())
            .unwrap();
        let response = self
            .agent
            .run(request)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        reply(response)
    }

    /// GET /predict?vol_moving_avg=..&adj_close_rolling_med=..: the predicted volume.
    #[track_caller]
    pub fn predict(&self, vma: f64, med: f64) -> i64 {
        let reply = self.get(&format!(
            "/predict?vol_moving_avg={vma}&adj_close_rolling_med={med}"
        ));
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()["predicted_volume"]
            .as_i64()
            .unwrap_or_else(|| panic!("not an integer: {}", reply.body))
    }

    /// SIGTERM, then the exit status (within 20 seconds) and what the server wrote on stderr.
    pub fn terminate(mut self) -> (ExitStatus, String) {
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(sent.success());
        let until = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(Instant::now() < until, "the server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut err = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            pipe.read_to_string(&mut err).expect("read stderr");
        }
        (status, err)
    }
}

fn reply(mut response: ureq::http::Response<ureq::Body>) -> Reply {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let model_version = header("x-model-version");
    let content_type = header("content-type");
    let allow = header("allow");
    Reply {
        status: response.status().as_u16(),
        model_version,
        content_type,
        allow,
        body: response.body_mut().read_to_string().expect("read the body"),
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
