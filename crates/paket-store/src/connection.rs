//! One connection type over SQLite and PostgreSQL, chosen by the URL scheme.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::R2D2Connection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;

use crate::StoreError;

/// A connection to either backend. Queries written once against this type
/// run on both; code that needs backend-specific SQL matches on the variant.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl std::fmt::Debug for DbConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DbConnection::Postgres(_) => "DbConnection::Postgres",
            DbConnection::Sqlite(_) => "DbConnection::Sqlite",
        })
    }
}

/// Database kind named by a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A parsed database URL.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub backend: Backend,
    /// Argument of the backend's driver: the whole URL for PostgreSQL, the
    /// file path for SQLite.
    target: String,
}

impl std::fmt::Debug for DatabaseUrl {
    // The URL may carry a password, so only the backend is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseUrl").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl DatabaseUrl {
    /// Parses `sqlite://PATH` (also `sqlite:PATH`) or `postgres://...`
    /// (also `postgresql://...`). Anything else is rejected, so that a typo
    /// never silently creates a SQLite file named after it.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl { backend: Backend::Postgres, target: url.to_owned() });
        }

        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(StoreError::InvalidUrl("the sqlite URL has no file path: use sqlite://./paket.db".into()));
            }
            if path.contains(":memory:") || path.starts_with("file:") {
                return Err(StoreError::InvalidUrl(
                    "in-memory and file: SQLite URLs are not supported, because every pooled connection would open its own database: use a file path".into(),
                ));
            }
            return Ok(DatabaseUrl { backend: Backend::Sqlite, target: path.to_owned() });
        }

        let scheme = url.split_once("://").map_or("(none)", |(scheme, _)| scheme);
        Err(StoreError::InvalidUrl(format!(
            "unsupported database URL scheme {scheme:?}: use sqlite://PATH or postgres://USER@HOST:PORT/DATABASE"
        )))
    }

    pub(crate) fn connect(&self) -> Result<DbConnection, StoreError> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.target)
                .map(DbConnection::Postgres)
                .map_err(|error| StoreError::Connect(error.to_string())),
            Backend::Sqlite => {
                let mut connection = SqliteConnection::establish(&self.target)
                    .map_err(|error| StoreError::Connect(format!("{}: {error}", self.target)))?;
                // The busy timeout comes first, so that switching a new file
                // to WAL waits for a connection opened at the same moment
                // instead of failing with "database is locked". WAL lets
                // readers run beside the one writer.
                connection
                    .batch_execute(
                        "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                         PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                    )
                    .map_err(|error| StoreError::Connect(format!("{}: {error}", self.target)))?;
                Ok(DbConnection::Sqlite(connection))
            }
        }
    }
}

/// r2d2 manager that opens the backend the URL names and reports the real
/// connection error (diesel's derived `establish` tries each backend in turn
/// and hides why PostgreSQL failed).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        ConnectionManager { url }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = StoreError;

    fn connect(&self) -> Result<DbConnection, StoreError> {
        self.url.connect()
    }

    fn is_valid(&self, connection: &mut DbConnection) -> Result<(), StoreError> {
        connection.ping().map_err(|error| StoreError::Connect(error.to_string()))
    }

    fn has_broken(&self, connection: &mut DbConnection) -> bool {
        connection.is_broken()
    }
}

/// Default time to wait for a pooled connection before failing with "unavailable".
pub const POOL_TIMEOUT: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_schemes() {
        assert_eq!(DatabaseUrl::parse("sqlite://./paket.db").map(|u| u.target), Ok("./paket.db".to_owned()));
        assert_eq!(DatabaseUrl::parse("sqlite:///tmp/p.db").map(|u| u.target), Ok("/tmp/p.db".to_owned()));
        assert_eq!(DatabaseUrl::parse("sqlite:p.db").map(|u| u.target), Ok("p.db".to_owned()));
        assert_eq!(
            DatabaseUrl::parse("postgres://postgres@127.0.0.1/test").map(|u| u.backend),
            Ok(Backend::Postgres)
        );
        assert_eq!(DatabaseUrl::parse("postgresql://h/d").map(|u| u.backend), Ok(Backend::Postgres));
    }

    #[test]
    fn rejected_urls_say_why() {
        for (url, fragment) in [
            ("host=127.0.0.1 dbname=test", "unsupported database URL scheme"),
            ("mysql://root@127.0.0.1/test", "\"mysql\""),
            ("sqlite://", "no file path"),
            ("sqlite::memory:", "in-memory"),
            ("./paket.db", "unsupported"),
        ] {
            let error = DatabaseUrl::parse(url).expect_err(url).to_string();
            assert!(error.contains(fragment), "{url}: {error}");
        }
    }

    #[test]
    fn debug_hides_password() {
        let url = DatabaseUrl::parse("postgres://user:hunter2@127.0.0.1/db").expect("valid url");
        assert!(!format!("{url:?}").contains("hunter2"));
    }
}
