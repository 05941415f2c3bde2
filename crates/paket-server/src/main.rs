//! The `paket` command: serve, migrate, demo.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use paket_server::{Server, Settings, SettingsArgs, demo, init_logging, shutdown_signal};
use paket_service::SystemClock;

// Each argon2id verification allocates 19 MiB on whichever blocking thread
// runs it. glibc keeps such blocks in per-thread arenas, so after a burst
// of sign-ins the process held over a gigabyte. mimalloc returns them to
// the system and also allocates faster under contention.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Paket: sign-in, entitlements and billing for streaming services.
#[derive(Debug, Parser)]
#[command(name = "paket", version)]
struct Cli {
    #[command(flatten)]
    settings: SettingsArgs,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the REST and gRPC APIs on one listener (SQLite is created and migrated on start)
    Serve,
    /// Apply pending database migrations
    Migrate,
    /// Seed a demo company, app, licenses, client and user, and print them as JSON
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(&cli.settings) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::from(2);
        }
    };
    init_logging(settings.log_format);

    match run(cli.command, settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime failed")?;

    match command {
        Command::Serve => runtime.block_on(async {
            let server = Server::bind(&settings, Arc::new(SystemClock)).await?;
            server.serve(shutdown_signal()).await
        }),
        Command::Migrate => {
            let store = paket_store::Store::open(&settings.database_url, &paket_store::PoolOptions::default())
                .context("opening the database failed")?;
            let applied = store.migrate().context("migrating the database failed")?;
            if applied.is_empty() {
                println!("the database is up to date");
            } else {
                let noun = if applied.len() == 1 { "migration" } else { "migrations" };
                println!("applied {} {noun}: {}", applied.len(), applied.join(", "));
            }
            Ok(())
        }
        Command::Demo => runtime.block_on(async {
            let database = settings.clone();
            // The demo migrates PostgreSQL too: it exists to get a new
            // database into a usable state in one command.
            let store = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let store = paket_store::Store::open(&database.database_url, &paket_store::PoolOptions::default())
                    .context("opening the database failed")?;
                store.migrate().context("migrating the database failed")?;
                Ok(Arc::new(store))
            })
            .await
            .context("the database task failed")??;
            let address = settings.listen_address()?;
            let seeded = demo::seed(store, settings.issuer_for(address)).await?;
            println!("{}", serde_json::to_string_pretty(&seeded)?);
            Ok(())
        }),
    }
}
