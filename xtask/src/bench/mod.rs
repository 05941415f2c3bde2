//! `cargo xtask bench`: measures Paket against the hardware's ceilings and
//! against a peer OpenID provider, on SQLite and PostgreSQL, and writes
//! BENCHMARKS.md and a JSON file of the raw numbers.

mod ceiling;
mod load;
mod report;
mod scenarios;
mod setup;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;

use load::{LoadResult, LoadSettings};
use setup::{BenchDatabase, RssSampler};

/// Options of `cargo xtask bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Measure for about a second per measurement, to check that the harness works; the report goes to target/bench/
    #[arg(long)]
    quick: bool,

    /// Number of users to seed
    #[arg(long, default_value_t = 10_000)]
    users: usize,

    /// Concurrency levels: numbers of connections that send requests in closed loops
    #[arg(long, value_delimiter = ',', default_values_t = [16, 64, 256])]
    concurrency: Vec<usize>,

    /// Seconds measured per measurement [default: 20, or 1 with --quick]
    #[arg(long)]
    duration: Option<f64>,

    /// Seconds of warm-up before each measurement [default: 5, or 0.5 with --quick]
    #[arg(long)]
    warmup: Option<f64>,

    /// Databases to measure
    #[arg(long, value_enum, default_value_t = BackendChoice::Both)]
    backend: BackendChoice,

    /// PostgreSQL server on which a scratch database is created
    #[arg(long, env = "PAKET_TEST_DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres_url: String,

    /// Skip the oidc-provider peer (it needs Node.js and npm)
    #[arg(long)]
    no_peer: bool,

    /// Worker threads of the load generator
    #[arg(long, default_value_t = 1)]
    client_threads: usize,

    /// Folder of BENCHMARKS.md [default: the repository root, with the raw numbers in bench/results.json; target/bench with --quick]
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    Sqlite,
    Postgres,
    Both,
}

/// Measurements of one backend.
#[derive(Debug, Clone, Serialize)]
pub struct BackendReport {
    pub backend: &'static str,
    pub idle_rss_mib: f64,
    pub peak_rss_mib: f64,
    /// GET /healthz: no database, no crypto.
    pub trivial: Vec<LoadResult>,
    /// Sign-in page, password form and code exchange.
    pub sign_in: Vec<LoadResult>,
    pub licenses: Vec<LoadResult>,
    pub refresh: Vec<LoadResult>,
    /// Distinct users whose tokens the licenses and refresh loads used.
    pub token_users: usize,
}

/// Measurements of the peer.
#[derive(Debug, Clone, Serialize)]
pub struct PeerReport {
    pub name: String,
    pub idle_rss_mib: f64,
    pub peak_rss_mib: f64,
    pub refresh: Vec<LoadResult>,
    pub userinfo: Vec<LoadResult>,
}

pub fn run(root: &Path, args: BenchArgs) -> anyhow::Result<()> {
    // The load generator and the ceilings must run optimised: a debug build
    // signs JWTs a hundred times slower and would cap the load it generates.
    if cfg!(debug_assertions) {
        return rerun_optimised(root);
    }
    if args.concurrency.is_empty() || args.concurrency.contains(&0) {
        bail!("--concurrency needs one or more positive numbers");
    }
    if args.users == 0 {
        bail!("--users must be at least 1");
    }
    let duration = seconds(args.duration.unwrap_or(if args.quick { 1.0 } else { 20.0 }), "--duration")?;
    let warmup = seconds(args.warmup.unwrap_or(if args.quick { 0.5 } else { 5.0 }), "--warmup")?;
    let output = args.output.clone().unwrap_or_else(|| if args.quick { root.join("target/bench") } else { root.to_path_buf() });
    std::fs::create_dir_all(&output).with_context(|| format!("creating {} failed", output.display()))?;

    let paket = setup::build_paket(root)?;
    let work = tempfile::tempdir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.max(1))
        .enable_all()
        .build()?;

    let backends: Vec<&'static str> = match args.backend {
        BackendChoice::Sqlite => vec!["sqlite"],
        BackendChoice::Postgres => vec!["postgres"],
        BackendChoice::Both => vec!["sqlite", "postgres"],
    };

    let mut ceilings = None;
    let mut reports = Vec::new();
    for backend in backends {
        let database = match backend {
            "sqlite" => BenchDatabase::sqlite(work.path()),
            _ => BenchDatabase::postgres(&args.postgres_url)?,
        };
        let listen = setup::free_address()?;
        println!("== {backend}: seeding {} users", args.users);
        let demo = setup::seed_catalog(&paket, &database.url, listen)?;
        setup::seed_users(&database.url, &demo, args.users)?;
        if ceilings.is_none() {
            println!("== ceilings: argon2id, ES256 sign and verify on all CPUs");
            let measured = ceiling::measure(&database.url, if args.quick { Duration::from_millis(500) } else { Duration::from_secs(5) })?;
            println!(
                "{:>14} {:.1}/s argon2id, {:.0}/s ES256 sign, {:.0}/s ES256 verify on {} threads",
                "ceilings", measured.argon2_per_second, measured.es256_sign_per_second, measured.es256_verify_per_second, measured.threads
            );
            ceilings = Some(measured);
        }

        let log = work.path().join(format!("paket-{backend}.log"));
        let server = setup::start_server(&paket, &database.url, listen, &log)?;
        std::thread::sleep(Duration::from_secs(1));
        let idle_rss_mib = setup::rss_kib(server.pid()).unwrap_or(0) as f64 / 1024.0;
        let sampler = RssSampler::start(server.pid());
        let measured = runtime.block_on(measure_paket(listen, &demo, &args, warmup, duration));
        let peak_rss_mib = sampler.finish();
        server.stop();
        let (trivial, sign_in, licenses, refresh, token_users) = measured.with_context(|| {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            format!("measuring {backend} failed; the server log ends with:\n{}", last_lines(&tail, 20))
        })?;
        reports.push(BackendReport { backend, idle_rss_mib, peak_rss_mib, trivial, sign_in, licenses, refresh, token_users });
        drop(database);
    }

    let peer = if args.no_peer {
        None
    } else {
        println!("== peer: oidc-provider");
        Some(measure_peer(root, &runtime, &args, warmup, duration)?)
    };

    let ceilings = ceilings.context("no backend was measured")?;
    let report = report::Report::new(&args, duration, warmup, ceilings, reports, peer)?;
    let json = report.write(root, &output)?;
    println!("== wrote {} and {}", output.join("BENCHMARKS.md").display(), json.display());
    Ok(())
}

/// Runs this command again from a release build of xtask, with the same arguments.
fn rerun_optimised(root: &Path) -> anyhow::Result<()> {
    println!("== building xtask in release mode for the measurements");
    let status = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["run", "--release", "--locked", "--quiet", "--package", "xtask", "--"])
        .args(std::env::args_os().skip(1))
        .current_dir(root)
        .status()
        .context("running cargo failed")?;
    if !status.success() {
        bail!("the release build of the benchmark failed");
    }
    Ok(())
}

type Measured = (Vec<LoadResult>, Vec<LoadResult>, Vec<LoadResult>, Vec<LoadResult>, usize);

async fn measure_paket(
    address: std::net::SocketAddr,
    demo: &setup::Demo,
    args: &BenchArgs,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Measured> {
    let settings = |concurrency| LoadSettings { concurrency, warmup, duration };

    let trivial = Arc::new(scenarios::Get { path: "/healthz".into() });
    let mut trivial_results = Vec::new();
    for &concurrency in &args.concurrency {
        trivial_results.push(report_line("trivial", load::run(address, Arc::clone(&trivial), settings(concurrency)).await?));
    }

    let verifier = "paket-bench-verifier-0123456789-abcdefghijklmnopqrstuvwxyz".to_owned();
    let sign_in = Arc::new(scenarios::SignIn {
        client_id: demo.client_id.clone(),
        redirect_uri: demo.redirect_uri.clone(),
        users: args.users,
        email_of: setup::email_of,
        password: setup::PASSWORD.into(),
        challenge: paket_domain::pkce::s256_challenge(&verifier),
        verifier,
        tokens: Mutex::new(Vec::new()),
    });
    let mut sign_in_results = Vec::new();
    for &concurrency in &args.concurrency {
        sign_in_results.push(report_line("sign-in", load::run(address, Arc::clone(&sign_in), settings(concurrency)).await?));
    }
    let tokens = std::mem::take(&mut *sign_in.tokens.lock().map_err(|_| anyhow::anyhow!("the token list lock is poisoned"))?);
    if tokens.is_empty() {
        bail!("no sign-in completed, so there are no tokens to measure with");
    }
    let (access_tokens, refresh_tokens): (Vec<String>, Vec<String>) = tokens.into_iter().unzip();
    let token_users = access_tokens.len().min(args.users);

    let licenses = Arc::new(scenarios::BearerGet { path: "/v1/licenses".into(), access_tokens });
    let mut licenses_results = Vec::new();
    for &concurrency in &args.concurrency {
        licenses_results.push(report_line("licenses", load::run(address, Arc::clone(&licenses), settings(concurrency)).await?));
    }

    let refresh = Arc::new(scenarios::RefreshGrant { token_path: "/oauth2/token".into(), client_id: demo.client_id.clone(), refresh_tokens });
    let mut refresh_results = Vec::new();
    for &concurrency in &args.concurrency {
        refresh_results.push(report_line("refresh", load::run(address, Arc::clone(&refresh), settings(concurrency)).await?));
    }
    Ok((trivial_results, sign_in_results, licenses_results, refresh_results, token_users))
}

fn measure_peer(root: &Path, runtime: &tokio::runtime::Runtime, args: &BenchArgs, warmup: Duration, duration: Duration) -> anyhow::Result<PeerReport> {
    let (peer, info) = setup::start_peer(root)?;
    let address: std::net::SocketAddr = format!("127.0.0.1:{}", info.port).parse()?;
    std::thread::sleep(Duration::from_secs(1));
    let idle_rss_mib = setup::rss_kib(peer.pid()).unwrap_or(0) as f64 / 1024.0;
    let sampler = RssSampler::start(peer.pid());
    let settings = |concurrency| LoadSettings { concurrency, warmup, duration };
    let path_of = |endpoint: &str| -> anyhow::Result<String> {
        Ok(url::Url::parse(endpoint).with_context(|| format!("the peer's endpoint {endpoint:?} is not a URL"))?.path().to_owned())
    };

    let refresh = Arc::new(scenarios::RefreshGrant {
        token_path: path_of(&info.token_endpoint)?,
        client_id: info.client_id.clone(),
        refresh_tokens: vec![info.refresh_token.clone()],
    });
    let userinfo = Arc::new(scenarios::BearerGet { path: path_of(&info.userinfo_endpoint)?, access_tokens: vec![info.access_token.clone()] });
    let measured: anyhow::Result<(Vec<LoadResult>, Vec<LoadResult>)> = runtime.block_on(async {
        let mut refresh_results = Vec::new();
        for &concurrency in &args.concurrency {
            refresh_results.push(report_line("peer refresh", load::run(address, Arc::clone(&refresh), settings(concurrency)).await?));
        }
        let mut userinfo_results = Vec::new();
        for &concurrency in &args.concurrency {
            userinfo_results.push(report_line("peer userinfo", load::run(address, Arc::clone(&userinfo), settings(concurrency)).await?));
        }
        Ok((refresh_results, userinfo_results))
    });
    let peak_rss_mib = sampler.finish();
    peer.stop();
    let (refresh, userinfo) = measured?;
    Ok(PeerReport { name: report::peer_name(root), idle_rss_mib, peak_rss_mib, refresh, userinfo })
}

/// Prints one measurement as it finishes, so a long run shows progress.
fn report_line(name: &str, result: LoadResult) -> LoadResult {
    println!(
        "{name:>14} c={:<4} {:>9.0}/s  p50 {:>7.2} ms  p99 {:>8.2} ms  errors {}",
        result.concurrency, result.throughput, result.p50_ms, result.p99_ms, result.errors
    );
    if let Some(error) = &result.first_error {
        println!("{:>14} first error: {error}", "");
    }
    result
}

fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    if !(value.is_finite() && value > 0.0 && value <= 3600.0) {
        bail!("{flag} must be between 0 and 3600 seconds, not {value}");
    }
    Ok(Duration::from_secs_f64(value))
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}
