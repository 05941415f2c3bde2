//! BENCHMARKS.md and results.json: the figures, their ratios to the
//! ceilings and the peer, and the state of each target.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde::Serialize;

use super::ceiling::Ceilings;
use super::load::LoadResult;
use super::{BackendReport, BenchArgs, PeerReport};

/// Everything a run measured, as written to results.json.
#[derive(Debug, Serialize)]
pub struct Report {
    pub command: String,
    pub date: String,
    pub machine: Machine,
    pub users: usize,
    pub concurrency: Vec<usize>,
    pub warmup_seconds: f64,
    pub duration_seconds: f64,
    pub client_threads: usize,
    pub ceilings: Ceilings,
    pub backends: Vec<BackendReport>,
    pub peer: Option<PeerReport>,
    pub targets: Vec<Target>,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cpus: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub rustc: String,
}

/// One target with its measured value per backend.
#[derive(Debug, Serialize)]
pub struct Target {
    pub name: String,
    pub backend: String,
    pub measured: String,
    pub met: Option<bool>,
}

impl Report {
    pub fn new(
        args: &BenchArgs,
        duration: Duration,
        warmup: Duration,
        ceilings: Ceilings,
        backends: Vec<BackendReport>,
        peer: Option<PeerReport>,
    ) -> anyhow::Result<Report> {
        let command = std::iter::once("cargo xtask bench".to_owned()).chain(std::env::args().skip(2)).collect::<Vec<_>>().join(" ");
        let targets = evaluate_targets(&ceilings, &backends, peer.as_ref());
        Ok(Report {
            command,
            date: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            machine: machine(),
            users: args.users,
            concurrency: args.concurrency.clone(),
            warmup_seconds: warmup.as_secs_f64(),
            duration_seconds: duration.as_secs_f64(),
            client_threads: args.client_threads,
            ceilings,
            backends,
            peer,
            targets,
        })
    }

    /// Writes BENCHMARKS.md into `output` and the raw numbers beside it,
    /// or into bench/results.json when `output` is the repository root.
    /// The analysis in bench/ANALYSIS.md, written by hand after a profile,
    /// is appended to the markdown. Returns the path of the JSON file.
    pub fn write(&self, root: &Path, output: &Path) -> anyhow::Result<std::path::PathBuf> {
        let json = if output == root { root.join("bench/results.json") } else { output.join("results.json") };
        std::fs::write(&json, serde_json::to_string_pretty(self)? + "\n")?;
        let json_name = json.strip_prefix(output).unwrap_or(&json).display().to_string();
        let analysis = std::fs::read_to_string(root.join("bench/ANALYSIS.md")).ok();
        std::fs::write(output.join("BENCHMARKS.md"), self.markdown(&json_name, analysis.as_deref()))?;
        Ok(json)
    }

    fn markdown(&self, json_name: &str, analysis: Option<&str>) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Benchmarks\n");
        let _ = writeln!(
            md,
            "Written by `{}` on {}. The raw numbers are in `{json_name}`.\n",
            self.command, self.date
        );
        let _ = writeln!(md, "## Machine and method\n");
        let m = &self.machine;
        let _ = writeln!(md, "- CPU: {} ({} CPUs), memory {:.1} GiB, Linux {}, {}", m.cpu, m.cpus, m.memory_gib, m.kernel, m.rustc);
        let _ = writeln!(
            md,
            "- The server is the release build of `paket serve`, started on a loopback port with a fresh database, \
             {} seeded users and the `paket demo` catalog; each user holds two licenses.",
            self.users
        );
        let _ = writeln!(
            md,
            "- Load comes from a separate process (`cargo xtask bench`) on the same machine, with {} worker thread(s): \
             each of N connections sends its next request when the previous one is answered (closed loop, HTTP/1.1 keep-alive). \
             Server, load generator and PostgreSQL share the CPUs.",
            self.client_threads
        );
        let _ = writeln!(
            md,
            "- Each figure is measured for {} s after {} s of warm-up; p50 and p99 are nearest-rank latencies of every request in the window.\n",
            self.duration_seconds, self.warmup_seconds
        );

        let _ = writeln!(md, "## Targets\n");
        let _ = writeln!(md, "| target | backend | measured | met |");
        let _ = writeln!(md, "|---|---|---|---|");
        for target in &self.targets {
            let met = match target.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "not measured",
            };
            let _ = writeln!(md, "| {} | {} | {} | {} |", target.name, target.backend, target.measured, met);
        }

        let c = &self.ceilings;
        let _ = writeln!(md, "\n## Ceilings\n");
        let _ = writeln!(md, "Raw rates on {} threads in the benchmark process, with Paket's code and key:\n", c.threads);
        let _ = writeln!(md, "| operation | per second |");
        let _ = writeln!(md, "|---|---|");
        let _ = writeln!(md, "| argon2id verification (19 MiB, 2 passes, 1 lane) | {:.1} |", c.argon2_per_second);
        let _ = writeln!(md, "| ES256 JWT signature | {:.0} |", c.es256_sign_per_second);
        let _ = writeln!(md, "| ES256 JWT verification | {:.0} |", c.es256_verify_per_second);

        for backend in &self.backends {
            let _ = writeln!(md, "\n## Paket on {}\n", backend.backend);
            let _ = writeln!(
                md,
                "Resident memory: {:.1} MiB idle, {:.1} MiB at most under load. Tokens of {} sign-ins were used.\n",
                backend.idle_rss_mib, backend.peak_rss_mib, backend.token_users
            );
            let _ = writeln!(md, "| measurement | concurrency | per second | p50 ms | p99 ms | errors | ratio to ceiling |");
            let _ = writeln!(md, "|---|---|---|---|---|---|---|");
            for result in &backend.trivial {
                row(&mut md, "GET /healthz (trivial)", result, None);
            }
            for result in &backend.sign_in {
                row(&mut md, "sign-in (page + password + exchange)", result, Some((result.throughput / c.argon2_per_second, "of argon2id rate")));
            }
            for result in &backend.licenses {
                let trivial = same_concurrency(&backend.trivial, result.concurrency);
                let ratio = trivial.map(|trivial| (result.throughput / trivial.throughput, "of trivial"));
                row(&mut md, "GET /v1/licenses", result, ratio);
            }
            for result in &backend.refresh {
                // A refresh signs two JWTs: the access token and the ID token.
                row(&mut md, "refresh grant", result, Some((result.throughput / (c.es256_sign_per_second / 2.0), "of signing rate / 2")));
            }
        }

        if let Some(peer) = &self.peer {
            let _ = writeln!(md, "\n## Peer: {}\n", peer.name);
            let _ = writeln!(
                md,
                "In-memory storage, one Node.js process. Resident memory: {:.1} MiB idle, {:.1} MiB at most under load.\n",
                peer.idle_rss_mib, peer.peak_rss_mib
            );
            let _ = writeln!(md, "| measurement | concurrency | per second | p50 ms | p99 ms | errors | Paket / peer |");
            let _ = writeln!(md, "|---|---|---|---|---|---|---|");
            for result in &peer.refresh {
                let ratios = self.ratios(result, |backend| &backend.refresh);
                row_text(&mut md, "refresh grant", result, &ratios);
            }
            for result in &peer.userinfo {
                let ratios = self.ratios(result, |backend| &backend.licenses);
                row_text(&mut md, "userinfo (vs. /v1/licenses)", result, &ratios);
            }
        }

        if let Some(analysis) = analysis {
            let _ = writeln!(md, "\n{}", analysis.trim_end());
        }
        md
    }

    fn ratios(&self, peer: &LoadResult, of: impl Fn(&BackendReport) -> &Vec<LoadResult>) -> String {
        self.backends
            .iter()
            .filter_map(|backend| {
                same_concurrency(of(backend), peer.concurrency)
                    .map(|paket| format!("{} {:.1}x", backend.backend, paket.throughput / peer.throughput.max(f64::MIN_POSITIVE)))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn row(md: &mut String, name: &str, result: &LoadResult, ratio: Option<(f64, &str)>) {
    let ratio = ratio.map_or_else(String::new, |(value, of)| format!("{:.0}% {of}", value * 100.0));
    row_text(md, name, result, &ratio);
}

fn row_text(md: &mut String, name: &str, result: &LoadResult, last: &str) {
    let _ = writeln!(
        md,
        "| {name} | {} | {:.0} | {:.2} | {:.2} | {} | {last} |",
        result.concurrency, result.throughput, result.p50_ms, result.p99_ms, result.errors
    );
}

fn same_concurrency(results: &[LoadResult], concurrency: usize) -> Option<&LoadResult> {
    results.iter().find(|result| result.concurrency == concurrency)
}

fn evaluate_targets(ceilings: &Ceilings, backends: &[BackendReport], peer: Option<&PeerReport>) -> Vec<Target> {
    let mut targets = Vec::new();
    for backend in backends {
        let name = backend.backend.to_owned();

        let worst_licenses_ratio = backend
            .licenses
            .iter()
            .filter_map(|result| same_concurrency(&backend.trivial, result.concurrency).map(|trivial| result.throughput / trivial.throughput))
            .fold(f64::INFINITY, f64::min);
        targets.push(Target {
            name: "/v1/licenses at least 50% of the trivial endpoint's throughput (lowest ratio over the concurrency levels)".into(),
            backend: name.clone(),
            measured: format!("{:.0}%", worst_licenses_ratio * 100.0),
            met: worst_licenses_ratio.is_finite().then_some(worst_licenses_ratio >= 0.5),
        });

        if let Some(peer) = peer {
            let mut worst = f64::INFINITY;
            let mut p99_ok = true;
            for result in &backend.refresh {
                if let Some(peer_result) = same_concurrency(&peer.refresh, result.concurrency) {
                    worst = worst.min(result.throughput / peer_result.throughput.max(f64::MIN_POSITIVE));
                    p99_ok &= result.p99_ms <= peer_result.p99_ms;
                }
            }
            targets.push(Target {
                name: "Refresh grant at least 5x the peer's throughput, at equal p99 or better".into(),
                backend: name.clone(),
                measured: format!("{worst:.1}x at worst; p99 {} the peer's at every level", if p99_ok { "at or below" } else { "above" }),
                met: worst.is_finite().then_some(worst >= 5.0 && p99_ok),
            });
        }

        let at_64 = same_concurrency(&backend.licenses, 64);
        targets.push(Target {
            name: "p99 of /v1/licenses under 10 ms at concurrency 64".into(),
            backend: name.clone(),
            measured: at_64.map_or_else(|| "concurrency 64 not measured".into(), |result| format!("{:.2} ms", result.p99_ms)),
            met: at_64.map(|result| result.p99_ms < 10.0),
        });

        let best_sign_in = backend.sign_in.iter().map(|result| result.throughput).fold(0.0, f64::max);
        let sign_in_ratio = best_sign_in / ceilings.argon2_per_second;
        targets.push(Target {
            name: "Sign-in throughput at least 90% of the raw argon2id rate (best concurrency level)".into(),
            backend: name.clone(),
            measured: format!("{:.0}% ({best_sign_in:.1}/s of {:.1}/s)", sign_in_ratio * 100.0, ceilings.argon2_per_second),
            met: Some(sign_in_ratio >= 0.9),
        });

        targets.push(Target {
            name: "Idle resident memory under 50 MiB".into(),
            backend: name,
            measured: format!("{:.1} MiB", backend.idle_rss_mib),
            met: Some(backend.idle_rss_mib < 50.0),
        });
    }
    targets
}

/// Returns "oidc-provider X.Y.Z (Node.js vA.B.C)" from the peer's installed packages.
pub fn peer_name(root: &Path) -> String {
    let package = root.join("bench/peer/node_modules/oidc-provider/package.json");
    let version = std::fs::read_to_string(package)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown version".into());
    format!("oidc-provider {version} (Node.js {})", command_output("node", &["--version"]))
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split(':').nth(1))
        .map_or_else(|| "unknown".into(), |model| model.trim().to_owned());
    let memory_kib: f64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with("MemTotal:"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0);
    Machine {
        cpu,
        cpus: std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        memory_gib: memory_kib / 1024.0 / 1024.0,
        kernel: command_output("uname", &["-r"]),
        rustc: command_output("rustc", &["--version"]),
    }
}

fn command_output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| "unknown".into())
}
