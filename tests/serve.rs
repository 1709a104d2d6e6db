//! `exercise serve` as a client sees it: every route, every class of error (a JSON body with an "error"
//! field and the status of its kind), the metrics, and a graceful stop on SIGTERM. The model is the
//! hand-made stump of tests/common/model.rs: left of 650 it predicts 120, right of it 1021.
mod common;
use common::model::{stump_model, Server, STUMP_LEFT, STUMP_RIGHT};
use common::Workspace;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const MAX_INSTANCES: usize = 10_000;
const MAX_BODY_BYTES: usize = 2 << 20;

fn served() -> (Workspace, Server) {
    served_with(&[])
}

/// The stump served with more options (e.g. `--request-timeout 1`).
fn served_with(options: &[&str]) -> (Workspace, Server) {
    let ws = Workspace::new();
    let model = stump_model(&ws);
    let server = Server::start_with(&ws, &model, options);
    (ws, server)
}

/// `{"instances": [[1, 2]]}` padded with spaces to exactly `bytes` bytes.
fn padded_body(bytes: usize) -> Vec<u8> {
    let head = br#"{"instances": [[1, 2]]"#;
    let mut body = head.to_vec();
    body.resize(bytes - 1, b' ');
    body.push(b'}');
    body
}

#[test]
fn get_and_post_predict_the_same_volumes_with_the_model_version() {
    let (ws, server) = served();
    let recorded = ws.csv("SELECT model_version FROM market.model_runs");
    assert_eq!(recorded, format!("model_version\n{}\n", server.version));
    let points = [
        (100.0, 40.0, STUMP_LEFT),
        (650.0, 0.0, STUMP_LEFT),
        (650.25, 1.5, STUMP_RIGHT),
        (2e6, 25.0, STUMP_RIGHT),
    ];
    let mut by_get = Vec::new();
    for (vma, med, expected) in points {
        let reply = server.get(&format!(
            "/predict?adj_close_rolling_med={med}&vol_moving_avg={vma}"
        ));
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(
            reply.model_version.as_deref(),
            Some(server.version.as_str())
        );
        assert_eq!(reply.content_type.as_deref(), Some("application/json"));
        let body = reply.json();
        assert!(body["predicted_volume"].is_i64(), "an integer: {body}");
        assert_eq!(body["predicted_volume"], expected);
        assert_eq!(body["model_version"], server.version.as_str());
        by_get.push(expected);
    }
    // exponents, leading zeros and a plus sign are numbers too
    assert_eq!(server.predict(6.5e2, 0.0), STUMP_LEFT);
    let reply = server.get("/predict?vol_moving_avg=%2B0651&adj_close_rolling_med=1e1");
    assert_eq!(
        reply.json()["predicted_volume"],
        STUMP_RIGHT,
        "{}",
        reply.body
    );
    let lists: Vec<Value> = points.iter().map(|(v, m, _)| json!([v, m])).collect();
    let objects: Vec<Value> = points
        .iter()
        .map(|(v, m, _)| json!({"adj_close_rolling_med": m, "vol_moving_avg": v}))
        .collect();
    for body in [
        json!({ "instances": lists }),
        json!({ "instances": objects }),
        json!(lists),
        json!(objects),
    ] {
        let reply = server.post("/predict", body.to_string());
        assert_eq!(reply.status, 200, "{body}: {}", reply.body);
        assert_eq!(
            reply.model_version.as_deref(),
            Some(server.version.as_str())
        );
        let answer = reply.json();
        assert_eq!(answer["predictions"], json!(by_get), "{body}");
        assert_eq!(answer["model_version"], server.version.as_str());
    }
    // integers and floats, lists and objects mixed in one request; an empty list has no predictions
    let reply = server.post(
        "/predict",
        r#"[[700, 1], {"vol_moving_avg": 1, "adj_close_rolling_med": 0.5}]"#,
    );
    assert_eq!(
        reply.json()["predictions"],
        json!([STUMP_RIGHT, STUMP_LEFT])
    );
    let reply = server.post("/predict", r#"{"instances": []}"#);
    assert_eq!(reply.json()["predictions"], json!([]));
}

#[test]
fn the_largest_requests_allowed_are_answered() {
    let (_ws, server) = served();
    let instances: Vec<Value> = (0..MAX_INSTANCES)
        .map(|i| json!([i as f64 * 0.1, 1]))
        .collect();
    let reply = server.post("/predict", json!({ "instances": instances }).to_string());
    assert_eq!(reply.status, 200, "{}", reply.body);
    let predictions = reply.json()["predictions"].as_array().unwrap().clone();
    assert_eq!(predictions.len(), MAX_INSTANCES);
    // 0.1 * 6500 = 650.0000000000001 is past the threshold: compare with the same arithmetic
    for (i, p) in predictions.iter().enumerate() {
        let expected = if i as f64 * 0.1 <= 650.0 {
            STUMP_LEFT
        } else {
            STUMP_RIGHT
        };
        assert_eq!(p, &json!(expected), "instance {i}");
    }
    let reply = server.post("/predict", padded_body(MAX_BODY_BYTES));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["predictions"], json!([STUMP_LEFT]));
}

#[test]
fn every_client_mistake_is_a_json_error_of_its_kind() {
    let (_ws, server) = served();
    let get = |query: &str, status: u16| server.get(&format!("/predict{query}")).error(status);
    let contains = |message: String, needle: &str| {
        assert!(message.contains(needle), "{needle:?} not in {message:?}");
    };
    // 400: malformed
    contains(
        get("?vol_moving_avg=1", 400),
        "missing query parameter adj_close_rolling_med",
    );
    contains(get("", 400), "missing query parameter vol_moving_avg");
    contains(
        get("?vol_moving_avg=abc&adj_close_rolling_med=1", 400),
        "vol_moving_avg is not a number: 'abc'",
    );
    contains(
        get("?vol_moving_avg=1&adj_close_rolling_med=", 400),
        "adj_close_rolling_med is not a number: ''",
    );
    contains(
        get("?vol_moving_avg=1,5&adj_close_rolling_med=1", 400),
        "vol_moving_avg is not a number: '1,5'",
    );
    contains(
        get("?vol_moving_avg=1&adj_close_rolling_med=1&volume=3", 400),
        "unknown query parameter 'volume'",
    );
    contains(
        get(
            "?vol_moving_avg=1&adj_close_rolling_med=1&vol_moving_avg=2",
            400,
        ),
        "vol_moving_avg is given twice",
    );
    // 422: well formed, but not a valid value
    contains(
        get("?vol_moving_avg=-1&adj_close_rolling_med=1", 422),
        "vol_moving_avg must not be negative (got -1)",
    );
    contains(
        get("?vol_moving_avg=1&adj_close_rolling_med=-0.5", 422),
        "adj_close_rolling_med must not be negative",
    );
    for value in ["NaN", "nan", "inf", "-inf", "infinity", "1e999"] {
        contains(
            get(
                &format!("?vol_moving_avg={value}&adj_close_rolling_med=1"),
                422,
            ),
            "vol_moving_avg must be a finite number",
        );
    }
    // POST: the body's size, form and values
    let instances = vec![json!([1, 2]); MAX_INSTANCES + 1];
    contains(
        server
            .post("/predict", json!({ "instances": instances }).to_string())
            .error(413),
        "10001 instances: at most 10000 per request",
    );
    contains(
        server
            .post("/predict", padded_body(MAX_BODY_BYTES + 1))
            .error(413),
        "the body is over 2097152 bytes",
    );
    // under the byte cap, but far more instances: refused while parsing, not after
    let many = format!("[{}]", vec!["[0,0]"; 300_000].join(","));
    assert!(many.len() < MAX_BODY_BYTES);
    contains(
        server.post("/predict", many).error(413),
        "the body holds more values than 10001 instances do: at most 10000 per request",
    );
    let post = |body: &str, status: u16| server.post("/predict", body).error(status);
    contains(post("{\"instances\": [[1, 2]", 400), "the body is not JSON");
    contains(post("", 400), "the body is not JSON");
    contains(post("[[1, 2]] x", 400), "the body is not JSON");
    contains(post("[[1e999, 2]]", 400), "the body is not JSON");
    contains(
        post("[[1, 2], [1, 2, 3]]", 400),
        "instance 1 has 3 values; each has 2 (vol_moving_avg, adj_close_rolling_med)",
    );
    contains(post("[[1]]", 400), "instance 0 has 1 values");
    contains(post("[[]]", 400), "instance 0 has 0 values");
    contains(
        post(r#"[{"vol_moving_avg": 1}]"#, 400),
        "instance 0 has no adj_close_rolling_med",
    );
    contains(
        post(
            r#"[{"vol_moving_avg": 1, "adj_close_rolling_med": 2, "Volume": 3}]"#,
            400,
        ),
        "instance 0 has an unknown field 'Volume'",
    );
    contains(
        post(r#"[[1, "2"]]"#, 400),
        "adj_close_rolling_med of instance 0 is not a number: '\"2\"'",
    );
    contains(post(r#"[[1, null]]"#, 400), "is not a number");
    contains(post("[5]", 400), "instance 0 must be a list of 2 numbers");
    contains(
        post(r#"{"instances": 5}"#, 400),
        "\"instances\" must be a list",
    );
    contains(
        post(r#"{"rows": []}"#, 400),
        "the body has an unknown key 'rows'",
    );
    contains(post("{}", 400), "no \"instances\" list");
    contains(
        post(r#"{"instances": [[1, 2]], "meta": {"a": 1}}"#, 400),
        "the body has an unknown key 'meta'",
    );
    contains(post("42", 400), "must be {\"instances\": [...]} or a list");
    contains(
        post("[[1, 2], [-3, 2]]", 422),
        "instance 1: vol_moving_avg must not be negative (got -3)",
    );
    // a repeated key: parsers disagree on which value wins, so neither is taken
    contains(
        post(
            r#"[{"vol_moving_avg": -1, "vol_moving_avg": 1, "adj_close_rolling_med": 1}]"#,
            400,
        ),
        "the key 'vol_moving_avg' is repeated",
    );
    contains(
        post(r#"{"instances": "x", "instances": [[1, 2]]}"#, 400),
        "the key 'instances' is repeated",
    );
    // 404: no such route, whatever the method
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/predict/"),
        ("GET", "/predictions"),
        ("POST", "/nowhere"),
    ] {
        contains(server.request(method, path).error(404), "no such route");
    }
    // 405: a known route, another method; the Allow header says which
    for (method, path, allowed) in [
        ("DELETE", "/predict", "GET,HEAD,POST"),
        ("PUT", "/predict", "GET,HEAD,POST"),
        ("POST", "/healthz", "GET,HEAD"),
        ("POST", "/model", "GET,HEAD"),
        ("PATCH", "/metrics", "GET,HEAD"),
    ] {
        let reply = server.request(method, path);
        contains(reply.error(405), "method not allowed");
        let mut allow: Vec<&str> = reply
            .allow
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .collect();
        allow.sort_unstable();
        assert_eq!(allow.join(","), allowed, "{method} {path}");
    }
    // none of this hurt the server
    assert_eq!(server.predict(1.0, 1.0), STUMP_LEFT);
}

#[test]
fn health_readiness_the_model_and_the_metrics() {
    let (ws, server) = served();
    let health = server.get("/healthz");
    assert_eq!(
        (health.status, health.json()),
        (200, json!({"status": "ok"}))
    );
    let ready = server.get("/readyz");
    assert_eq!(ready.status, 200);
    assert_eq!(
        ready.json(),
        json!({"status": "ready", "model_version": server.version})
    );
    assert_eq!(
        ready.model_version.as_deref(),
        Some(server.version.as_str())
    );
    let model = server.get("/model");
    assert_eq!(model.status, 200);
    assert_eq!(
        model.model_version.as_deref(),
        Some(server.version.as_str())
    );
    let m = model.json();
    assert_eq!(m["model_version"], server.version.as_str());
    assert_eq!(m["target"], "Volume");
    assert_eq!(
        m["features"],
        json!(["vol_moving_avg", "adj_close_rolling_med"])
    );
    assert_eq!(m["lag_days"], 0);
    assert_eq!(
        m["params"],
        json!({"trees": 1, "max_depth": 1, "min_samples_leaf": 1, "max_samples": 500000,
               "bootstrap": false, "seed": 42})
    );
    assert_eq!(m["training_data"]["train_rows"], 5);
    assert_eq!(m["training_data"]["test_rows"], 2);
    assert_eq!(m["training_data"]["test_from"], "2024-01-08");
    assert_eq!(
        m["training_data"]["warehouse"],
        ws.db().display().to_string()
    );
    assert_eq!(m["evaluation"]["test"]["rows"], 2);
    assert_eq!(m["evaluation"]["test"]["mae"], 175.25);
    assert_eq!(m["evaluation"]["baseline_moving_avg"]["mae"], 75.0);
    assert_eq!(m["evaluation"]["beats_baseline"], false);
    assert_eq!(m["evaluation"]["random_split"], Value::Null);
    assert_eq!(m["software"]["model_format"], 1);

    // so far: healthz, readyz, model; now three good predictions, one bad, one POST, one lost client
    for vma in [1.0, 700.0, 3.0] {
        server.predict(vma, 1.0);
    }
    server.get("/predict?vol_moving_avg=x").error(400);
    assert_eq!(server.post("/predict", "[[1, 2]]").status, 200);
    server.get("/nowhere").error(404);
    let metrics = server.get("/metrics");
    assert_eq!(metrics.status, 200);
    assert_eq!(
        metrics.content_type.as_deref(),
        Some("text/plain; version=0.0.4")
    );
    let text = metrics.body;
    let counted: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("exercise_http_requests_total{"))
        .collect();
    assert_eq!(
        counted,
        [
            r#"exercise_http_requests_total{method="GET",route="/healthz",status="200"} 1"#,
            r#"exercise_http_requests_total{method="GET",route="/model",status="200"} 1"#,
            r#"exercise_http_requests_total{method="GET",route="/predict",status="200"} 3"#,
            r#"exercise_http_requests_total{method="GET",route="/predict",status="400"} 1"#,
            r#"exercise_http_requests_total{method="GET",route="/readyz",status="200"} 1"#,
            r#"exercise_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
            r#"exercise_http_requests_total{method="POST",route="/predict",status="200"} 1"#,
        ],
        "{text}"
    );
    // the histogram counted the same 9 requests; its buckets are cumulative
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {text}"))
            .trim()
            .parse()
            .unwrap()
    };
    assert_eq!(value("exercise_http_request_duration_seconds_count "), 9.0);
    assert_eq!(
        value("exercise_http_request_duration_seconds_bucket{le=\"+Inf\"} "),
        9.0
    );
    let sum = value("exercise_http_request_duration_seconds_sum ");
    assert!(sum > 0.0 && sum < 9.0, "{sum}");
    let buckets: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with("exercise_http_request_duration_seconds_bucket{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(buckets.len(), 13, "{text}");
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{text}");
    assert!(
        buckets[11] >= 8.0,
        "answered within a second, on any machine: {text}"
    );
    for family in [
        "exercise_http_requests_total counter",
        "exercise_http_request_duration_seconds histogram",
    ] {
        assert!(text.contains(&format!("# TYPE {family}\n")), "{text}");
    }
    // /metrics counts itself from the next scrape on
    let again = server.get("/metrics").body;
    assert!(
        again.contains(
            r#"exercise_http_requests_total{method="GET",route="/metrics",status="200"} 1"#
        ),
        "{again}"
    );
    assert!(again.contains("exercise_http_request_duration_seconds_count 10\n"));
}

#[test]
fn concurrent_clients_get_their_own_answers() {
    let (_ws, server) = served();
    std::thread::scope(|s| {
        for t in 0..4 {
            let server = &server;
            s.spawn(move || {
                for i in 0..25 {
                    let vma = (t * 25 + i) as f64 * 13.0;
                    let expected = if vma <= 650.0 {
                        STUMP_LEFT
                    } else {
                        STUMP_RIGHT
                    };
                    assert_eq!(server.predict(vma, 1.0), expected, "{vma}");
                }
            });
        }
    });
    let text = server.get("/metrics").body;
    assert!(
        text.contains(
            r#"exercise_http_requests_total{method="GET",route="/predict",status="200"} 100"#
        ),
        "{text}"
    );
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let (_ws, server) = served();
    assert_eq!(server.get("/healthz").status, 200);
    let base = server.base.clone();
    let (status, err) = server.terminate();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("loaded "), "{err}");
    assert!(err.trim_end().ends_with("\nstopped"), "{err}");
    // the port is closed
    let addr = base.trim_start_matches("http://");
    assert!(std::net::TcpStream::connect(addr).is_err());
}

/// A plain TCP connection to the server, for what an HTTP client library will not send.
fn raw_connection(server: &Server) -> TcpStream {
    let addr = server.base.trim_start_matches("http://");
    let connection = TcpStream::connect(addr).expect("connect");
    connection
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("set a read timeout");
    connection
}

/// A POST whose body never comes. "100 Continue" says its handler is waiting for the body: the
/// request is in flight from then on.
fn request_in_flight(server: &Server) -> TcpStream {
    let mut stalled = raw_connection(server);
    stalled
        .write_all(
            b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n",
        )
        .expect("send the head of a request");
    let mut interim = [0u8; 25];
    stalled.read_exact(&mut interim).expect("read 100 Continue");
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stalled
}

#[test]
fn a_stop_does_not_wait_forever_for_a_request_that_never_finishes() {
    let (_ws, server) = served_with(&["--stop-timeout", "1"]);
    let stalled = request_in_flight(&server);
    let (status, err) = server.terminate();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(
        err.contains("connections still open 1 s after the stop signal were dropped; stopped"),
        "{err}"
    );
    drop(stalled);
}

#[test]
fn a_second_stop_signal_ends_the_wait_at_once() {
    // a stop timeout longer than the test's wait, so only the second signal can end the stop
    let (_ws, server) = served_with(&["--stop-timeout", "600"]);
    let stalled = request_in_flight(&server);
    let sent = std::process::Command::new("kill")
        .args(["-INT", &server.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    // the first signal is seen once the port is closed; the second (SIGTERM) comes after it
    let addr = server.base.trim_start_matches("http://").to_string();
    let until = std::time::Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(&addr).is_ok() {
        assert!(std::time::Instant::now() < until, "the port stayed open");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, err) = server.terminate();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(
        err.trim_end()
            .ends_with("a second stop signal dropped the connections still open; stopped"),
        "{err}"
    );
    drop(stalled);
}

#[test]
fn a_connection_stays_usable_after_a_refused_request_with_a_chunked_body() {
    let (_ws, server) = served();
    let mut connection = raw_connection(&server);
    let mut answer = |head: &[u8], body: &[u8]| -> String {
        connection.write_all(head).expect("send a request's head");
        // the body comes a little later, as it may from a real client
        std::thread::sleep(Duration::from_millis(100));
        connection.write_all(body).expect("send its body");
        one_response(&mut connection)
    };
    let chunked = |method_path: &str| {
        format!("{method_path} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
            .into_bytes()
    };
    for (method_path, status) in [
        ("PUT /predict", "405"),
        ("POST /nowhere", "404"),
        ("PATCH /metrics", "405"),
    ] {
        let reply = answer(&chunked(method_path), b"0\r\n\r\n");
        assert!(
            reply.starts_with(&format!("HTTP/1.1 {status} ")),
            "{method_path}: {reply}"
        );
        assert!(
            !reply.to_ascii_lowercase().contains("connection: close"),
            "{reply}"
        );
    }
    let reply = answer(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", b"");
    assert!(reply.starts_with("HTTP/1.1 200 "), "{reply}");
}

#[test]
fn a_body_over_the_cap_or_unreadable_is_refused_and_the_connection_closed() {
    let ask = |request: &[u8]| -> String {
        let (_ws, server) = served();
        let mut connection = raw_connection(&server);
        connection.write_all(request).expect("send a request");
        let mut reply = String::new();
        connection
            .read_to_string(&mut reply)
            .expect("read until the server closes");
        reply
    };
    // waiting for "100 Continue" with a body declared over the cap: refused at once, no interim answer
    let reply = ask(format!(
        "POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        MAX_BODY_BYTES + 1
    )
    .as_bytes());
    assert!(reply.starts_with("HTTP/1.1 413 "), "{reply}");
    assert!(
        reply.to_ascii_lowercase().contains("connection: close"),
        "{reply}"
    );
    assert!(reply.contains("the body is over 2097152 bytes"), "{reply}");
    // a chunk size that is not hexadecimal: the body cannot be read, which is not its size
    for path in ["/predict", "/healthz"] {
        let reply = ask(
            format!(
                "POST {path} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
            )
            .as_bytes(),
        );
        assert!(reply.starts_with("HTTP/1.1 400 "), "{path}: {reply}");
        assert!(
            reply.to_ascii_lowercase().contains("connection: close"),
            "{reply}"
        );
        assert!(reply.contains("the body could not be read"), "{reply}");
    }
}

/// One response from a kept-alive connection: its head, then as many bytes as its Content-Length says.
fn one_response(connection: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut byte = [0u8; 1];
    while !received.ends_with(b"\r\n\r\n") {
        connection.read_exact(&mut byte).expect("read the head");
        received.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&received).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length: "))
        .map(|n| n.trim().parse().expect("a length"))
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    connection.read_exact(&mut body).expect("read the body");
    received.extend(body);
    String::from_utf8_lossy(&received).into_owned()
}

/// What a connection receives until the server closes it (the read gives up after 20 s).
fn until_closed(mut connection: TcpStream) -> String {
    let mut received = Vec::new();
    connection
        .read_to_end(&mut received)
        .expect("the server closes the connection");
    String::from_utf8_lossy(&received).into_owned()
}

#[test]
fn a_client_too_slow_or_silent_is_cut_off_while_others_are_served() {
    let (_ws, server) = served_with(&["--request-timeout", "1"]);
    let silent = raw_connection(&server);
    let mut half_head = raw_connection(&server);
    half_head
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        .expect("send half a head");
    let mut half_body = raw_connection(&server);
    half_body
        .write_all(b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n[[1, 2]")
        .expect("send a head and part of its body");
    let mut idle = raw_connection(&server);
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .expect("send a request");
    // meanwhile others are answered
    assert_eq!(server.get("/healthz").status, 200);
    assert_eq!(until_closed(silent), "");
    // hyper closes a connection whose head is late without an answer
    assert_eq!(until_closed(half_head), "");
    let reply = until_closed(half_body);
    assert!(reply.starts_with("HTTP/1.1 408 "), "{reply}");
    assert!(
        reply.to_ascii_lowercase().contains("connection: close"),
        "{reply}"
    );
    assert!(
        reply.contains("the body did not arrive within 1 s"),
        "{reply}"
    );
    // an idle keep-alive connection is answered, then closed
    let reply = until_closed(idle);
    assert!(reply.starts_with("HTTP/1.1 200 "), "{reply}");
    assert_eq!(reply.matches("HTTP/1.1").count(), 1, "{reply}");
    // nothing is left open, so the stop is immediate
    let (status, err) = server.terminate();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.trim_end().ends_with("\nstopped"), "{err}");
}

#[test]
fn past_the_connection_limit_a_client_waits_for_a_free_slot() {
    let (_ws, server) = served_with(&["--max-connections", "1"]);
    let health = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
    let mut first = raw_connection(&server);
    first.write_all(health).expect("send a request");
    assert!(one_response(&mut first).starts_with("HTTP/1.1 200 "));
    // the first connection, kept alive, holds the only slot: the second is not answered meanwhile
    let mut second = raw_connection(&server);
    second.write_all(health).expect("send a request");
    second
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let mut byte = [0u8; 1];
    let waited = second
        .read(&mut byte)
        .expect_err("no answer while the slot is taken");
    assert!(
        matches!(
            waited.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{waited}"
    );
    // once the first closes, the second is served
    drop(first);
    second
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    assert!(one_response(&mut second).starts_with("HTTP/1.1 200 "));
}

#[test]
fn a_client_that_reads_no_answers_loses_its_connection_and_slot() {
    let (_ws, server) = served_with(&["--max-connections", "1", "--request-timeout", "1"]);
    // Pipelined batches whose answers (about 40 MB in all, more than the socket buffers hold) are never
    // read: the server's writes stall, and then this writer's too, as the server stops reading.
    let mut greedy = raw_connection(&server);
    let body = json!({ "instances": vec![json!([1, 2]); MAX_INSTANCES] }).to_string();
    let request = format!(
        "POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let writer = std::thread::spawn(move || {
        for _ in 0..1000 {
            if greedy.write_all(request.as_bytes()).is_err() {
                break; // the server closed the connection
            }
        }
        greedy // kept open by this side
    });
    // the only slot is freed once the server gives up on the greedy client
    let mut patient = raw_connection(&server);
    patient
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .expect("send a request");
    assert!(one_response(&mut patient).starts_with("HTTP/1.1 200 "));
    drop(writer.join().expect("the writer thread"));
}

#[test]
fn a_client_that_closes_its_side_after_the_request_is_answered() {
    let (_ws, server) = served();
    for request in [
        "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n".to_string(),
        format!(
            "POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 8\r\n\r\n{}",
            "[[1, 2]]"
        ),
    ] {
        let mut connection = raw_connection(&server);
        connection.write_all(request.as_bytes()).expect("send");
        connection
            .shutdown(std::net::Shutdown::Write)
            .expect("close the sending side");
        let reply = until_closed(connection);
        assert!(reply.starts_with("HTTP/1.1 200 "), "{request}: {reply:?}");
    }
}
