//! Paket persistence: diesel schema, embedded migrations and queries over
//! SQLite (the embedded default) and PostgreSQL, behind one pooled
//! connection type chosen by the database URL.
//!
//! Every operation runs its queries through [`Store::read`] or
//! [`Store::write`]; a write is one transaction. These calls block, so async
//! callers run them on a blocking thread.

/// Runs a diesel query on the concrete connection inside a [`DbConnection`].
///
/// The query expression is compiled once per backend, so each runs with its
/// backend's own query builder and prepared-statement cache. Through the
/// `MultiConnection` itself, diesel renders the SQL text again on every
/// call and SQLite prepares it again, which cost about 50 µs a query.
macro_rules! on_backend {
    ($conn:expr, |$inner:ident| $query:expr) => {
        match $conn {
            $crate::DbConnection::Postgres($inner) => $query,
            $crate::DbConnection::Sqlite($inner) => $query,
        }
    };
}

pub mod catalog;
pub mod connection;
pub mod keys;
pub mod oauth;
pub mod schema;
pub mod users;

use std::sync::Mutex;

use diesel::Connection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::migration::Migration;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use connection::{Backend, ConnectionManager, DatabaseUrl, DbConnection};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// A storage failure, classified for the service layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A unique or foreign-key constraint rejected the write.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Database(String),
}

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => StoreError::NotFound,
            DieselError::DatabaseError(
                kind @ (DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::ForeignKeyViolation),
                info,
            ) => {
                let constraint = info.constraint_name().unwrap_or_else(|| info.message());
                let violation = if matches!(kind, DatabaseErrorKind::UniqueViolation) { "duplicate" } else { "missing reference" };
                StoreError::Conflict(format!("{violation} ({constraint})"))
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                StoreError::Unavailable(info.message().to_owned())
            }
            other => StoreError::Database(other.to_string()),
        }
    }
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_connections: u32,
    pub connection_timeout: std::time::Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions { max_connections: 16, connection_timeout: connection::POOL_TIMEOUT }
    }
}

/// The connection pool and the rules for using it.
#[derive(Debug)]
pub struct Store {
    pool: r2d2::Pool<ConnectionManager>,
    backend: Backend,
    /// Lock of SQLite write transactions. SQLite allows one writer at a
    /// time, so writers queue here instead of failing with SQLITE_BUSY when
    /// a deferred transaction tries to upgrade its lock.
    sqlite_writer: Mutex<()>,
}

impl Store {
    /// Opens a pool for `url`. The first connection is made at once, so a
    /// wrong URL or an unreachable server is reported here.
    pub fn open(url: &str, options: &PoolOptions) -> Result<Store, StoreError> {
        let url = DatabaseUrl::parse(url)?;
        let backend = url.backend;
        let manager = ConnectionManager::new(url);
        // One direct attempt first: it reports a permanent error (no such
        // database, wrong password) at once, where the pool would retry it
        // until its timeout and then report only that it timed out.
        let first = r2d2::ManageConnection::connect(&manager)?;
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(options.max_connections)
            .min_idle(Some(1))
            // A checkout would otherwise cost a `SELECT 1` round trip; a
            // broken connection is found by `has_broken` and by the query.
            .test_on_check_out(false)
            .connection_timeout(options.connection_timeout)
            .error_handler(Box::new(PoolErrorLogger))
            .build(manager)
            .map_err(|error| StoreError::Connect(error.to_string()))?;
        Ok(Store { pool, backend, sqlite_writer: Mutex::new(()) })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the pending migrations of the store's backend and returns
    /// the versions it applied.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let _writer = self.lock_writer();
        let mut connection = self.connection()?;
        let migrations = match &*connection {
            DbConnection::Sqlite(_) => SQLITE_MIGRATIONS,
            DbConnection::Postgres(_) => POSTGRES_MIGRATIONS,
        };
        let applied = match &mut *connection {
            DbConnection::Sqlite(inner) => inner.run_pending_migrations(migrations),
            DbConnection::Postgres(inner) => inner.run_pending_migrations(migrations),
        }
        .map_err(|error| StoreError::Migration(error.to_string()))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    }

    /// Returns the versions of the migrations not yet applied.
    pub fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        let mut connection = self.connection()?;
        let failed = |error: Box<dyn std::error::Error + Send + Sync>| StoreError::Migration(error.to_string());
        Ok(match &mut *connection {
            DbConnection::Sqlite(inner) => versions(inner.pending_migrations(SQLITE_MIGRATIONS).map_err(failed)?),
            DbConnection::Postgres(inner) => versions(inner.pending_migrations(POSTGRES_MIGRATIONS).map_err(failed)?),
        })
    }

    /// Returns the maximum number of pooled connections.
    pub fn max_connections(&self) -> u32 {
        self.pool.max_size()
    }

    /// Runs read-only queries on one pooled connection. On SQLite they share
    /// one read transaction, which takes the file lock once instead of once
    /// per statement and gives them one snapshot. On PostgreSQL each runs on
    /// its own, which saves the BEGIN and COMMIT round trips.
    pub fn read<T>(&self, queries: impl FnOnce(&mut DbConnection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut connection = self.connection()?;
        let connection: &mut DbConnection = &mut connection;
        match connection {
            DbConnection::Sqlite(_) => connection.transaction(queries),
            DbConnection::Postgres(_) => queries(connection),
        }
    }

    /// Runs `queries` in one transaction: all of its writes land, or none.
    pub fn write<T>(&self, queries: impl FnOnce(&mut DbConnection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let _writer = self.lock_writer();
        let mut connection = self.connection()?;
        let connection: &mut DbConnection = &mut connection;
        connection.transaction(queries)
    }

    fn connection(&self) -> Result<r2d2::PooledConnection<ConnectionManager>, StoreError> {
        self.pool.get().map_err(|error| StoreError::Unavailable(error.to_string()))
    }

    fn lock_writer(&self) -> Option<std::sync::MutexGuard<'_, ()>> {
        if self.backend != Backend::Sqlite {
            return None;
        }
        // A panic inside a transaction poisons the lock; the transaction was
        // rolled back, so the lock can be taken again.
        Some(self.sqlite_writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

fn versions<DB: diesel::backend::Backend>(migrations: Vec<Box<dyn Migration<DB>>>) -> Vec<String> {
    migrations.iter().map(|migration| migration.name().version().to_string()).collect()
}

/// Logs pool connection failures (r2d2 otherwise swallows them while it retries).
#[derive(Debug)]
struct PoolErrorLogger;

impl r2d2::HandleError<StoreError> for PoolErrorLogger {
    fn handle_error(&self, error: StoreError) {
        tracing::warn!(%error, "database connection failed");
    }
}
