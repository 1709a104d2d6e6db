//! `exercise serve`: the model over HTTP (axum on tokio). The model is loaded once, before the port
//! opens, and shared by every request; a client's mistake is a 4xx with a JSON error naming it, never a
//! panic or a 500.
use super::write_deadline::WriteDeadline;
use super::{strict_json, Metadata, FEATURES};
use crate::forest::Forest;
use crate::text;
use anyhow::{Context, Result};
use axum::body::Body;
use axum::body::Bytes;
use axum::extract::{MatchedPath, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The most instances one POST may hold, and the most bytes its body may have.
pub const MAX_INSTANCES: usize = 10_000;
pub const MAX_BODY_BYTES: usize = 2 << 20;

struct Served {
    forest: Forest,
    version: HeaderValue,
    model_version: String,
    description: Value,
    stats: Stats,
    /// How long a client has to send a request's head, and then its body.
    request_timeout: Duration,
}

/// What one client may hold of the server.
pub struct Limits {
    /// How long a client has to send a request's head, as long again for its body, and as long to make
    /// room for an answer (a connection whose client reads nothing for that long is closed).
    pub request_timeout: Duration,
    /// Connections served at once; more wait in the listen queue until one closes. With the body cap,
    /// this bounds the memory held for requests.
    pub max_connections: usize,
    /// How long a stop waits for requests in flight before it drops their connections.
    pub stop_timeout: Duration,
}

/// Starts the server on `addr` and serves until Ctrl-C or SIGTERM; prints the address it listens on
/// (port 0 picks a free one) once it accepts connections.
pub fn serve(metadata: Metadata, forest: Forest, addr: SocketAddr, limits: Limits) -> Result<()> {
    let served = Arc::new(Served {
        version: HeaderValue::from_str(&metadata.model_version)
            .context("the model version is not a valid header value")?,
        model_version: metadata.model_version.clone(),
        description: serde_json::to_value(&metadata)?,
        forest,
        stats: Stats::default(),
        request_timeout: limits.request_timeout,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the server's runtime")?;
    runtime.block_on(async move {
        let stops = StopSignals::install()?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        println!(
            "serving model {} on http://{local} (Ctrl-C stops)",
            served.model_version
        );
        use std::io::Write;
        std::io::stdout().flush()?;
        match serve_until(listener, app(served), &limits, stops).await {
            Ending::Drained => eprintln!("stopped"),
            Ending::DrainTooLong => eprintln!(
                "connections still open {} s after the stop signal were dropped; stopped",
                limits.stop_timeout.as_secs()
            ),
            Ending::StoppedAgain => {
                eprintln!("a second stop signal dropped the connections still open; stopped")
            }
        }
        Ok(())
    })
}

/// How a stop ended: every connection finished, or some were dropped after the stop timeout or at a
/// second signal.
enum Ending {
    Drained,
    DrainTooLong,
    StoppedAgain,
}

/// Serves HTTP/1.1 connections until a stop signal, then stops accepting, lets requests in flight
/// finish, and drops what is still open after the stop timeout or at a second signal. A connection that sends no
/// complete request head within `timeout` (a silent client, a slow one, an idle keep-alive) is closed.
async fn serve_until(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: &Limits,
    mut stops: StopSignals,
) -> Ending {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.request_timeout)
        // a client may close its side once it has sent its request (`nc -N`, shutdown(SHUT_WR)) and
        // still wait for the answer
        .half_close(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    loop {
        // a free slot first, then a connection: past the limit, clients wait in the listen queue
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // the semaphore is never closed
            },
            _ = stops.next() => break,
        };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let service = hyper_util::service::TowerToHyperService::new(app.clone());
                    let io = WriteDeadline::new(
                        hyper_util::rt::TokioIo::new(stream),
                        limits.request_timeout,
                    );
                    let connection = http.serve_connection(io, service);
                    let watched = graceful.watch(connection);
                    tokio::spawn(async move {
                        // a connection's own error (a client gone, a head too slow) ends only it
                        let _ = watched.await;
                        drop(slot);
                    });
                }
                // out of file descriptors, say: the listener stays, and is tried again shortly
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            _ = stops.next() => break,
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => Ending::Drained,
        _ = tokio::time::sleep(limits.stop_timeout) => Ending::DrainTooLong,
        _ = stops.next() => Ending::StoppedAgain,
    }
}

fn app(served: Arc<Served>) -> Router {
    Router::new()
        .route("/predict", get(predict_one).post(predict_batch))
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(ready))
        .route("/model", get(describe))
        .route("/metrics", get(metrics))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "no such route: see GET /model, GET|POST /predict, /healthz, /readyz, /metrics",
            )
        })
        // axum's own 405 has an empty body; the Allow header is kept
        .method_not_allowed_fallback(|| async {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed: /predict takes GET and POST, the other routes GET",
            )
        })
        .layer(middleware::from_fn_with_state(
            served.clone(),
            whole_body_read,
        ))
        .layer(middleware::from_fn_with_state(served.clone(), count))
        .with_state(served)
}

/// Reads a request's whole body before the route answers (POST /predict reads its own). A response
/// sent while the body is still arriving, such as a 404 or 405 to a POST with a chunked empty body,
/// makes hyper close the connection without saying so, and a client reusing it gets no answer.
async fn whole_body_read(
    State(served): State<Arc<Served>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == axum::http::Method::POST && request.uri().path() == "/predict" {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    match whole_body(&parts.headers, body, served.request_timeout).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(refused) => refused,
    }
}

/// The whole body of a request, at most MAX_BODY_BYTES. A body found longer is a 413, and one that
/// cannot be read (a malformed chunk, a client gone) a 400; each closes the connection, as the rest of
/// the body is not read, and says so. A client waiting for "100 Continue" before it sends a body declared
/// longer gets the 413 at once. (A client that sends such a body unasked is read up to the cap, as
/// answering sooner would reset the connection under its feet before it reads the answer.)
async fn whole_body(headers: &HeaderMap, body: Body, timeout: Duration) -> Result<Bytes, Response> {
    let waiting = headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|_| waiting);
    let too_large = || {
        closing(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is over {MAX_BODY_BYTES} bytes"),
        ))
    };
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let Ok(read) = tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await
    else {
        return Err(closing(error(
            StatusCode::REQUEST_TIMEOUT,
            format!("the body did not arrive within {} s", timeout.as_secs()),
        )));
    };
    match read {
        Ok(bytes) => Ok(bytes),
        Err(e) if is_over_the_cap(&e) => Err(too_large()),
        Err(e) => Err(closing(error(
            StatusCode::BAD_REQUEST,
            format!("the body could not be read: {e}"),
        ))),
    }
}

fn is_over_the_cap(e: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = c.source();
    }
    false
}

fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Ctrl-C and SIGTERM, each time one comes. On Unix the handlers are installed when this is made, not
/// when it is first awaited: a stop that comes right after the "serving" line must be a graceful stop,
/// not the default action that kills the process.
struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    #[cfg(unix)]
    fn install() -> Result<StopSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(StopSignals {
            interrupt: signal(SignalKind::interrupt()).context("installing the Ctrl-C handler")?,
            terminate: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> Result<StopSignals> {
        Ok(StopSignals {})
    }

    /// The next Ctrl-C or SIGTERM.
    async fn next(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {},
            _ = self.terminate.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

/// A client's mistake: the status says which kind (400 malformed, 413 too large, 422 not a valid value).
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(self.0, self.1)
    }
}

fn bad(message: String) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, message)
}

/// A value a client sent, as it may be quoted back: escaped and cut short.
fn quoted(value: &str) -> String {
    format!("'{}'", text::printable(value, 40))
}

/// A feature value: a finite number, not below zero (volumes and prices are not negative).
fn valid(name: &str, value: f64) -> Result<f64, Refusal> {
    if !value.is_finite() {
        return Err(Refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{name} must be a finite number, not {value}"),
        ));
    }
    if value < 0.0 {
        return Err(Refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{name} must not be negative (got {value})"),
        ));
    }
    Ok(value)
}

fn with_version(served: &Served, body: Value) -> Response {
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert("x-model-version", served.version.clone());
    response
}

fn predicted_volume(forest: &Forest, row: &[f64]) -> i64 {
    forest.predict(row).round() as i64
}

/// GET /predict?vol_moving_avg=12345&adj_close_rolling_med=25
async fn predict_one(
    State(served): State<Arc<Served>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, Refusal> {
    let mut row = [f64::NAN; FEATURES.len()];
    let mut seen = [false; FEATURES.len()];
    for (name, value) in &params {
        let Some(f) = FEATURES.iter().position(|known| known == name) else {
            return Err(bad(format!(
                "unknown query parameter {}: the parameters are {}",
                quoted(name),
                FEATURES.join(" and ")
            )));
        };
        if seen[f] {
            return Err(bad(format!("query parameter {name} is given twice")));
        }
        seen[f] = true;
        let number: f64 = value
            .parse()
            .map_err(|_| bad(format!("{name} is not a number: {}", quoted(value))))?;
        row[f] = valid(name, number)?;
    }
    if let Some(f) = seen.iter().position(|s| !s) {
        return Err(bad(format!("missing query parameter {}", FEATURES[f])));
    }
    let volume = predicted_volume(&served.forest, &row);
    Ok(with_version(
        &served,
        json!({"predicted_volume": volume, "model_version": served.model_version}),
    ))
}

/// POST /predict with `{"instances": [[vma, med], ...]}`, `{"instances": [{...}, ...]}` or a bare list.
async fn predict_batch(
    State(served): State<Arc<Served>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Refusal> {
    let bytes = match whole_body(&headers, body, served.request_timeout).await {
        Ok(bytes) => bytes,
        Err(refused) => return Ok(refused),
    };
    let instances = instances_of(&bytes)?;
    if instances.len() > MAX_INSTANCES {
        return Err(Refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} instances: at most {MAX_INSTANCES} per request",
                instances.len()
            ),
        ));
    }
    let mut predictions = Vec::with_capacity(instances.len());
    for (i, instance) in instances.iter().enumerate() {
        let row = instance_row(i, instance)?;
        predictions.push(predicted_volume(&served.forest, &row));
    }
    Ok(with_version(
        &served,
        json!({"predictions": predictions, "model_version": served.model_version}),
    ))
}

/// The instances of a POST body: `{"instances": [...]}` or a bare list, read strictly (no repeated key,
/// no unknown key, no more values than one instance over the cap holds).
fn instances_of(bytes: &[u8]) -> Result<Vec<Value>, Refusal> {
    // the most a body of MAX_INSTANCES + 1 instances holds (each a list of the features, or an object of
    // them), with its wrapper: one instance more than allowed still parses, to be refused by its count
    let max_values = (MAX_INSTANCES + 1) * (1 + FEATURES.len()) + 2;
    let value = strict_json::parse(bytes, max_values).map_err(|refused| match refused {
        strict_json::Refused::TooManyValues => Refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the body holds more values than {} instances do: at most {MAX_INSTANCES} per request",
                MAX_INSTANCES + 1
            ),
        ),
        strict_json::Refused::Invalid(e) => bad(format!("the body is not JSON: {e}")),
    })?;
    match value {
        Value::Array(items) => Ok(items),
        Value::Object(mut object) => {
            if let Some(unknown) = object.keys().find(|k| k.as_str() != "instances") {
                return Err(bad(format!(
                    "the body has an unknown key {}: it is {{\"instances\": [...]}}",
                    quoted(unknown)
                )));
            }
            match object.remove("instances") {
                Some(Value::Array(items)) => Ok(items),
                Some(_) => Err(bad("\"instances\" must be a list".into())),
                None => Err(bad("the body has no \"instances\" list".into())),
            }
        }
        _ => Err(bad(
            "the body must be {\"instances\": [...]} or a list".into()
        )),
    }
}

fn instance_row(i: usize, instance: &Value) -> Result<[f64; FEATURES.len()], Refusal> {
    let mut row = [0.0; FEATURES.len()];
    match instance {
        Value::Array(values) => {
            if values.len() != FEATURES.len() {
                return Err(bad(format!(
                    "instance {i} has {} values; each has {} ({})",
                    values.len(),
                    FEATURES.len(),
                    FEATURES.join(", ")
                )));
            }
            for (f, value) in values.iter().enumerate() {
                row[f] = number(i, FEATURES[f], Some(value))?;
            }
        }
        Value::Object(fields) => {
            if let Some(unknown) = fields.keys().find(|k| !FEATURES.contains(&k.as_str())) {
                return Err(bad(format!(
                    "instance {i} has an unknown field {}",
                    quoted(unknown)
                )));
            }
            for (f, name) in FEATURES.iter().enumerate() {
                row[f] = number(i, name, fields.get(*name))?;
            }
        }
        _ => {
            return Err(bad(format!(
                "instance {i} must be a list of {} numbers or an object",
                FEATURES.len()
            )))
        }
    }
    Ok(row)
}

fn number(i: usize, name: &str, value: Option<&Value>) -> Result<f64, Refusal> {
    let value = value.ok_or_else(|| bad(format!("instance {i} has no {name}")))?;
    let number = value.as_f64().ok_or_else(|| {
        bad(format!(
            "{name} of instance {i} is not a number: {}",
            quoted(&value.to_string())
        ))
    })?;
    valid(name, number)
        .map_err(|Refusal(status, message)| Refusal(status, format!("instance {i}: {message}")))
}

async fn ready(State(served): State<Arc<Served>>) -> Response {
    // The model is loaded before the port opens: a server that answers is ready.
    with_version(
        &served,
        json!({"status": "ready", "model_version": served.model_version}),
    )
}

async fn describe(State(served): State<Arc<Served>>) -> Response {
    with_version(&served, served.description.clone())
}

async fn metrics(State(served): State<Arc<Served>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        served.stats.prometheus(),
    )
        .into_response()
}

/// Counts every request by route and status, and times it.
async fn count(State(served): State<Arc<Served>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    // Label values come from a fixed set: a client cannot grow the table with made-up methods or paths.
    let method = match request.method().as_str() {
        m @ ("GET" | "POST" | "HEAD" | "PUT" | "DELETE" | "PATCH" | "OPTIONS") => m,
        _ => "other",
    }
    .to_string();
    let response = next.run(request).await;
    served.stats.record(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Latency bucket bounds in seconds (Prometheus `le`).
const BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];

#[derive(Default)]
struct Stats {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Stats {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests
                .entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
        }
        if let Some(b) = BUCKETS.iter().position(|le| seconds <= *le) {
            self.buckets[b].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_nanos
            .fetch_add((seconds * 1e9) as u64, Ordering::Relaxed);
    }

    fn prometheus(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP exercise_http_requests_total Requests answered, by method, route and status.\n",
        );
        out.push_str("# TYPE exercise_http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((method, route, status), n) in requests.iter() {
                out.push_str(&format!(
                    "exercise_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}\n"
                ));
            }
        }
        out.push_str(
            "# HELP exercise_http_request_duration_seconds Time from request to response.\n",
        );
        out.push_str("# TYPE exercise_http_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (le, bucket) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            out.push_str(&format!(
                "exercise_http_request_duration_seconds_bucket{{le=\"{le}\"}} {cumulative}\n"
            ));
        }
        let count = self.count.load(Ordering::Relaxed);
        out.push_str(&format!(
            "exercise_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n"
        ));
        out.push_str(&format!(
            "exercise_http_request_duration_seconds_sum {}\n",
            self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9
        ));
        out.push_str(&format!(
            "exercise_http_request_duration_seconds_count {count}\n"
        ));
        out
    }
}
