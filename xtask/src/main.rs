//! `cargo xtask`: project tasks that need more than cargo, such as gRPC code
//! generation and database migrations.

mod bench;
mod codegen;
mod migrate;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Project tasks of the Paket workspace")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Regenerate the gRPC code in crates/paket-grpc/src/generated from proto/.
    Codegen {
        /// Write nothing, and fail when the committed code differs from what
        /// proto/ generates.
        #[arg(long)]
        check: bool,
    },
    /// Apply the pending database migrations, or create a migration with `migrate new NAME`.
    Migrate(migrate::MigrateArgs),
    /// Measure Paket against the machine's ceilings and a peer provider; write BENCHMARKS.md.
    Bench(bench::BenchArgs),
}

// Prints an error with its causes on one line. Returning the error from
// `main` would also print anyhow's backtrace whenever RUST_BACKTRACE is set,
// burying the message of a failed check.
fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.task) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(task: Task) -> anyhow::Result<()> {
    let root = workspace_root()?;
    match task {
        Task::Codegen { check: false } => codegen::generate(&root),
        Task::Codegen { check: true } => codegen::check(&root),
        Task::Migrate(args) => migrate::run(&root, args),
        Task::Bench(args) => bench::run(&root, args),
    }
}

/// Finds the workspace root from xtask's own manifest directory, so that the
/// tasks work from any directory inside the workspace.
fn workspace_root() -> anyhow::Result<PathBuf> {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .with_context(|| format!("xtask's manifest directory {} has no parent", manifest_dir.display()))
}
