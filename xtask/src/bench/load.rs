//! The load generator: fixed-concurrency closed loops over keep-alive
//! HTTP/1.1 connections, recording the latency of every request.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpStream;

/// A keep-alive HTTP/1.1 connection to one server.
pub struct Connection {
    address: SocketAddr,
    host: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

/// A response with its body read.
pub struct Reply {
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Connection {
    pub fn new(address: SocketAddr) -> Connection {
        Connection { address, host: address.to_string(), sender: None }
    }

    /// Sends a request built from `method`, `path`, headers and body, and
    /// reads the whole response. A broken connection is reopened on the next call.
    pub async fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: Bytes) -> anyhow::Result<Reply> {
        let mut builder = Request::builder().method(method).uri(path).header("host", &self.host);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder.body(Full::new(body)).context("building the request failed")?;

        let sender = self.sender().await?;
        let response: Response<hyper::body::Incoming> = match sender.send_request(request).await {
            Ok(response) => response,
            Err(error) => {
                self.sender = None;
                return Err(error).context("sending the request failed");
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.context("reading the response failed")?.to_bytes();
        Ok(Reply { status, headers, body })
    }

    async fn sender(&mut self) -> anyhow::Result<&mut SendRequest<Full<Bytes>>> {
        let usable = self.sender.as_ref().is_some_and(|sender| !sender.is_closed());
        if !usable {
            let stream = TcpStream::connect(self.address)
                .await
                .with_context(|| format!("connecting to {} failed", self.address))?;
            stream.set_nodelay(true)?;
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            self.sender = Some(sender);
        }
        self.sender.as_mut().context("no connection")
    }
}

/// One kind of request loop, such as "GET /v1/licenses with a token".
pub trait Scenario: Send + Sync + 'static {
    /// Performs one iteration; `sequence` numbers the iterations of a run.
    fn run_once(&self, connection: &mut Connection, sequence: u64) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Settings of one measurement.
#[derive(Debug, Clone, Copy)]
pub struct LoadSettings {
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// Result of one measurement.
#[derive(Debug, Clone, Serialize)]
pub struct LoadResult {
    pub concurrency: usize,
    /// Completed iterations inside the measured window.
    pub completed: u64,
    /// Failed iterations inside the measured window.
    pub errors: u64,
    pub seconds: f64,
    /// Completed iterations per second.
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The first error message, if any iteration failed.
    pub first_error: Option<String>,
}

/// Runs `scenario` from `settings.concurrency` workers, each with its own
/// connection, for the warm-up and then the measured window. Iterations
/// that finish inside the window count; the workers stop starting new ones
/// at its end and wait for those in flight.
pub async fn run<S: Scenario>(address: SocketAddr, scenario: Arc<S>, settings: LoadSettings) -> anyhow::Result<LoadResult> {
    let start = Instant::now();
    let window_start = start + settings.warmup;
    let window_end = window_start + settings.duration;
    let sequence = Arc::new(AtomicU64::new(0));

    let mut workers = Vec::with_capacity(settings.concurrency);
    for _ in 0..settings.concurrency {
        let scenario = Arc::clone(&scenario);
        let sequence = Arc::clone(&sequence);
        workers.push(tokio::spawn(async move {
            let mut connection = Connection::new(address);
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut first_error = None;
            loop {
                let began = Instant::now();
                if began >= window_end {
                    break;
                }
                let outcome = scenario.run_once(&mut connection, sequence.fetch_add(1, Ordering::Relaxed)).await;
                let finished = Instant::now();
                // An iteration counts when it finishes inside the window, so
                // slow operations (seconds at high concurrency) are counted
                // at the rate they complete.
                if finished < window_start || finished > window_end {
                    continue;
                }
                match outcome {
                    Ok(()) => latencies.push(u32::try_from((finished - began).as_micros()).unwrap_or(u32::MAX)),
                    Err(error) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("{error:#}"));
                    }
                }
            }
            (latencies, errors, first_error)
        }));
    }

    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for worker in workers {
        let (worker_latencies, worker_errors, worker_error) = worker.await.context("a load worker panicked")?;
        latencies.extend(worker_latencies);
        errors += worker_errors;
        if first_error.is_none() {
            first_error = worker_error;
        }
    }
    latencies.sort_unstable();

    let seconds = settings.duration.as_secs_f64();
    let completed = latencies.len() as u64;
    if completed == 0 && errors == 0 {
        first_error = Some(format!("no iteration finished inside the {seconds} s window"));
    }
    Ok(LoadResult {
        concurrency: settings.concurrency,
        completed,
        errors,
        seconds,
        throughput: completed as f64 / seconds,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        max_ms: latencies.last().map_or(0.0, |max| f64::from(*max) / 1000.0),
        first_error,
    })
}

/// Returns the nearest-rank percentile of sorted microsecond latencies, in milliseconds.
fn percentile(sorted: &[u32], quantile: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

/// Fails unless the reply has the expected status, quoting the body.
pub fn expect_status(reply: &Reply, expected: StatusCode, request_name: &str) -> anyhow::Result<()> {
    if reply.status != expected {
        let body = String::from_utf8_lossy(&reply.body);
        bail!("{request_name} returned {} instead of {expected}: {}", reply.status, body.chars().take(200).collect::<String>());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let sorted: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile(&sorted, 0.50), 50.0);
        assert_eq!(percentile(&sorted, 0.99), 99.0);
        assert_eq!(percentile(&[7000], 0.99), 7.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
