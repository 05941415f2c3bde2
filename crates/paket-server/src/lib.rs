//! The `paket` binary's library: settings, logging, and the server that
//! runs the REST and gRPC front ends on one listener.

pub mod config;
pub mod demo;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, bail};
use paket_service::{Clock, Paket, PaketService};
use paket_store::{Backend, PoolOptions, Store};
use tokio::net::TcpListener;

pub use config::{LogFormat, Settings, SettingsArgs};

/// Opens the store and, for SQLite, applies pending migrations (the
/// embedded database sets itself up). A PostgreSQL database must be
/// migrated with `paket migrate` first; pending migrations stop the start.
pub fn open_store(settings: &Settings) -> anyhow::Result<Arc<Store>> {
    let options = PoolOptions { max_connections: settings.pool_size, ..PoolOptions::default() };
    let store = Store::open(&settings.database_url, &options).context("opening the database failed")?;

    if store.backend() == Backend::Sqlite {
        let applied = store.migrate().context("migrating the SQLite database failed")?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "applied database migrations");
        }
    } else {
        let pending = store.pending_migrations().context("reading the database's migrations failed")?;
        if !pending.is_empty() {
            let noun = if pending.len() == 1 { "migration" } else { "migrations" };
            bail!("the database has {} pending {noun} ({}): run `paket migrate` first", pending.len(), pending.join(", "));
        }
    }
    Ok(Arc::new(store))
}

/// Builds the service over an open store. Blocks on the database.
pub fn build_service(store: Arc<Store>, issuer: String, clock: Arc<dyn Clock>) -> anyhow::Result<Paket> {
    let settings = paket_service::Settings::new(issuer);
    Paket::new(store, settings, clock).context("starting the service failed")
}

/// Builds the combined router. REST paths and the gRPC services' paths
/// (`/paket.v1.Entitlements/...`, `/grpc.health.v1.Health/...`) never
/// collide, so one listener serves both, with gRPC over HTTP/2 without TLS (h2c).
pub async fn router(service: Arc<dyn PaketService>) -> axum::Router {
    let grpc = paket_grpc::routes(Arc::clone(&service)).await;
    paket_rest::router(service).merge(grpc)
}

/// A server bound to its listener, not yet serving.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    router: axum::Router,
    pub address: SocketAddr,
    pub issuer: String,
    /// The service behind both front ends, for seeding data in tests.
    pub service: Arc<Paket>,
}

impl Server {
    /// Binds the listener, opens and prepares the database, and builds the
    /// service. With port 0 the issuer names the port the system chose.
    pub async fn bind(settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Server> {
        let requested = settings.listen_address()?;
        let listener = TcpListener::bind(requested)
            .await
            .with_context(|| format!("cannot listen on {requested}: choose another address with --listen or PAKET_LISTEN"))?;
        let address = listener.local_addr().context("reading the bound address failed")?;
        let issuer = settings.issuer_for(address);

        let database_settings = settings.clone();
        let service_issuer = issuer.clone();
        let service = tokio::task::spawn_blocking(move || {
            let store = open_store(&database_settings)?;
            build_service(store, service_issuer, clock)
        })
        .await
        .context("the start-up task failed")??;

        let service = Arc::new(service);
        Ok(Server { listener, router: router(service.clone()).await, address, issuer, service })
    }

    /// Serves until `shutdown` completes, then finishes open requests.
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        tracing::info!(address = %self.address, issuer = %self.issuer, "serving HTTP and gRPC");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
            .context("the server failed")?;
        tracing::info!("server stopped");
        Ok(())
    }
}

/// Sets up tracing: `RUST_LOG` filters (default `info`), in text or JSON.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal, so that log files and collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    // A second initialisation (as in tests) keeps the first subscriber.
    drop(result);
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "listening for Ctrl-C failed");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "listening for SIGTERM failed");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
