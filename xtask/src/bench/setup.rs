//! Processes and data of a benchmark run: databases, the Paket server, the
//! seeded users, the peer, and resident-memory sampling.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use diesel::{Connection as _, RunQueryDsl};
use paket_domain::plan_item::{ItemStatus, LicenseType, RenewStatus};
use paket_store::users::{PlanItemRow, PlanRow, UserRow};
use paket_store::{PoolOptions, Store};

/// Password of every seeded user.
pub const PASSWORD: &str = "bench-password";

pub fn email_of(index: usize) -> String {
    format!("bench-{index}@paket.example")
}

/// A database for one backend's measurements, removed when dropped.
pub struct BenchDatabase {
    pub url: String,
    /// Administrative URL and name of a PostgreSQL database to drop.
    postgres: Option<(String, String)>,
}

impl BenchDatabase {
    pub fn sqlite(work: &Path) -> BenchDatabase {
        BenchDatabase { url: format!("sqlite://{}", work.join("paket-bench.db").display()), postgres: None }
    }

    /// Creates a fresh database on the PostgreSQL server of `admin_url`.
    pub fn postgres(admin_url: &str) -> anyhow::Result<BenchDatabase> {
        let name = format!("paket_bench_{}", std::process::id());
        let mut admin = diesel::PgConnection::establish(admin_url)
            .with_context(|| "connecting to PostgreSQL failed: start it or pass --postgres-url".to_owned())?;
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin)?;
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin)?;
        let mut url = url::Url::parse(admin_url).context("the PostgreSQL URL is invalid")?;
        url.set_path(&format!("/{name}"));
        Ok(BenchDatabase { url: url.to_string(), postgres: Some((admin_url.to_owned(), name)) })
    }
}

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.postgres
            && let Ok(mut admin) = diesel::PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin);
        }
    }
}

/// Demo catalog ids printed by `paket demo`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Demo {
    pub client_id: String,
    pub redirect_uri: String,
    pub license_ids: Vec<String>,
}

/// Migrates the database and seeds the demo catalog with `paket demo`.
pub fn seed_catalog(paket: &Path, database_url: &str, listen: SocketAddr) -> anyhow::Result<Demo> {
    run_quietly(Command::new(paket).args(["migrate", "--database-url", database_url]))?;
    let output = Command::new(paket)
        .args(["demo", "--database-url", database_url, "--listen", &listen.to_string()])
        .env("RUST_LOG", "warn")
        .output()
        .context("running paket demo failed")?;
    if !output.status.success() {
        bail!("paket demo failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    serde_json::from_slice(&output.stdout).context("paket demo printed no JSON")
}

/// Inserts `count` users, each with a plan holding both demo licenses.
/// All share one argon2id hash of [`PASSWORD`], computed once, because
/// hashing ten thousand passwords would take minutes and measure nothing.
pub fn seed_users(database_url: &str, demo: &Demo, count: usize) -> anyhow::Result<()> {
    let store = Store::open(database_url, &PoolOptions::default())?;
    let password_hash = paket_service::secrets::hash_password(PASSWORD)?;
    let now = chrono::Utc::now().timestamp();
    let month = 30 * 24 * 3600;

    for chunk_start in (0..count).step_by(1000) {
        let chunk_end = (chunk_start + 1000).min(count);
        store.write(|conn| {
            for index in chunk_start..chunk_end {
                let user = UserRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    email: email_of(index),
                    password_hash: password_hash.clone(),
                    name: format!("Bench User {index}"),
                    country_code: "US".into(),
                    created_at: now,
                };
                let plan = PlanRow { id: uuid::Uuid::new_v4().to_string(), user_id: user.id.clone(), created_at: now };
                paket_store::users::insert_user(conn, &user, &plan)?;
                for license_id in &demo.license_ids {
                    paket_store::users::insert_plan_item(
                        conn,
                        &PlanItemRow {
                            id: uuid::Uuid::new_v4().to_string(),
                            plan_id: plan.id.clone(),
                            license_id: license_id.clone(),
                            license_type: LicenseType::Single.as_str().into(),
                            status: ItemStatus::Active.as_str().into(),
                            renew_status: RenewStatus::Renew.as_str().into(),
                            renews_on: now + month,
                            interval_length: 1,
                            interval_unit: "MONTHS".into(),
                            billing_cycle_anchor: now,
                            date_added: now,
                            trial: false,
                            trial_duration_days: 7,
                            trial_reset_days: 365,
                            cancelled_at: None,
                        },
                    )?;
                }
            }
            Ok(())
        })?;
    }
    Ok(())
}

fn run_quietly(command: &mut Command) -> anyhow::Result<()> {
    let output = command.env("RUST_LOG", "warn").output().context("starting a paket command failed")?;
    if !output.status.success() {
        bail!("{command:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(())
}

/// A child process that is stopped when dropped.
pub struct ChildProcess {
    child: Child,
}

impl ChildProcess {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Asks the process to stop with SIGTERM, then waits up to 10 s.
    pub fn stop(mut self) {
        terminate(&mut self.child);
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

fn terminate(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Starts `paket serve` and waits until /healthz returns 200.
pub fn start_server(paket: &Path, database_url: &str, listen: SocketAddr, log: &Path) -> anyhow::Result<ChildProcess> {
    let log_file = std::fs::File::create(log)?;
    let child = Command::new(paket)
        .args(["serve", "--database-url", database_url, "--listen", &listen.to_string()])
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .context("starting paket serve failed")?;
    let process = ChildProcess { child };
    wait_for_http(listen, "/healthz", Duration::from_secs(60))?;
    Ok(process)
}

/// Blocks until GET `path` returns 200, or fails after `timeout`.
pub fn wait_for_http(address: SocketAddr, path: &str, timeout: Duration) -> anyhow::Result<()> {
    use std::io::{Read, Write};
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(mut stream) = std::net::TcpStream::connect_timeout(&address, Duration::from_millis(200)) {
            let request = format!("GET {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n");
            let mut response = String::new();
            if stream.write_all(request.as_bytes()).is_ok()
                && stream.read_to_string(&mut response).is_ok()
                && response.starts_with("HTTP/1.1 200")
            {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("http://{address}{path} did not return 200 within {} s", timeout.as_secs())
}

/// Login data printed by the peer.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct PeerInfo {
    pub port: u16,
    pub client_id: String,
    pub refresh_token: String,
    pub access_token: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
}

/// Installs the peer's npm packages when missing, starts it on a free port
/// and reads the line of JSON it prints once ready.
pub fn start_peer(root: &Path) -> anyhow::Result<(ChildProcess, PeerInfo)> {
    let folder = root.join("bench/peer");
    if !folder.join("node_modules").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&folder)
            .status()
            .context("running npm failed: install Node.js and npm")?;
        if !status.success() {
            bail!("npm ci in {} failed", folder.display());
        }
    }
    let mut child = Command::new("node")
        .args(["server.mjs", "0"])
        .current_dir(&folder)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting node failed: install Node.js")?;
    let stdout = child.stdout.take().context("the peer has no stdout")?;
    let process = ChildProcess { child };
    let mut line = String::new();
    std::io::BufReader::new(stdout).read_line(&mut line).context("reading the peer's output failed")?;
    let info: PeerInfo = serde_json::from_str(line.trim()).with_context(|| format!("the peer printed {line:?} instead of its JSON line"))?;
    Ok((process, info))
}

/// Samples a process's resident set size every 100 ms and keeps the maximum.
pub struct RssSampler {
    running: Arc<AtomicBool>,
    peak_kib: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssSampler {
    pub fn start(pid: u32) -> RssSampler {
        let running = Arc::new(AtomicBool::new(true));
        let peak_kib = Arc::new(AtomicU64::new(0));
        let thread = {
            let running = Arc::clone(&running);
            let peak_kib = Arc::clone(&peak_kib);
            std::thread::spawn(move || {
                while running.load(Ordering::Relaxed) {
                    if let Some(kib) = rss_kib(pid) {
                        peak_kib.fetch_max(kib, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        };
        RssSampler { running, peak_kib, thread: Some(thread) }
    }

    /// Stops sampling and returns the peak in MiB.
    pub fn finish(mut self) -> f64 {
        self.running.store(false, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.peak_kib.load(Ordering::Relaxed) as f64 / 1024.0
    }
}

/// Reads VmRSS of a process from /proc, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Returns a loopback address with a port that was free a moment ago.
pub fn free_address() -> anyhow::Result<SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// Path of the release binary of `paket`, built first.
pub fn build_paket(root: &Path) -> anyhow::Result<PathBuf> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--locked", "--bin", "paket"])
        .current_dir(root)
        .status()
        .context("running cargo build failed")?;
    if !status.success() {
        bail!("cargo build --release --bin paket failed");
    }
    Ok(root.join("target/release/paket"))
}
