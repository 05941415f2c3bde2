//! `cargo xtask migrate`: apply the store's migrations to a database, or
//! create a new migration for both backends.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use paket_store::{Backend, PoolOptions, Store};

/// The migration folders, one per backend, relative to the workspace root.
/// Each migration has a folder of the same name in both.
const MIGRATION_DIRS: [(&str, Backend); 2] = [("migrations/sqlite", Backend::Sqlite), ("migrations/postgres", Backend::Postgres)];

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(subcommand)]
    command: Option<MigrateCommand>,

    /// The database to migrate: sqlite://PATH or postgres://USER@HOST:PORT/DATABASE.
    #[arg(long, env = "PAKET_DATABASE_URL", default_value = "sqlite://./paket.db", hide_env_values = true)]
    database_url: String,
}

#[derive(Debug, Subcommand)]
enum MigrateCommand {
    /// Create an empty migration, with up.sql and down.sql, for SQLite and PostgreSQL.
    New {
        /// The migration's name in snake_case, such as add_user_locale.
        name: String,
    },
}

pub fn run(root: &Path, args: MigrateArgs) -> Result<()> {
    match args.command {
        Some(MigrateCommand::New { name }) => create(root, &name, Utc::now()),
        None => apply(&args.database_url),
    }
}

/// Applies the pending migrations that paket-store embeds. The URL is never
/// printed, because it may contain a password.
fn apply(database_url: &str) -> Result<()> {
    let options = PoolOptions { max_connections: 1, ..PoolOptions::default() };
    let store = Store::open(database_url, &options).context("opening the database failed")?;
    let backend = backend_name(store.backend());

    let applied = store.migrate().with_context(|| format!("migrating the {backend} database failed"))?;

    if applied.is_empty() {
        println!("the {backend} database is up to date");
    }
    for version in &applied {
        println!("applied migration {version} to the {backend} database");
    }
    Ok(())
}

/// Creates `<version>_<name>/{up.sql,down.sql}` in every backend's folder,
/// with the version taken from `now` in diesel's `YYYY-MM-DD-HHMMSS` form.
fn create(root: &Path, name: &str, now: DateTime<Utc>) -> Result<()> {
    validate_name(name)?;
    let folder = format!("{}_{name}", now.format("%Y-%m-%d-%H%M%S"));

    // Check every backend first, so that a rejected name creates nothing.
    for (dir, _) in MIGRATION_DIRS {
        if let Some(existing) = find_migration(&root.join(dir), name)? {
            bail!("a migration named {name} already exists: {}; choose another name", existing.display());
        }
    }

    for (dir, backend) in MIGRATION_DIRS {
        fs::create_dir_all(root.join(dir)).with_context(|| format!("creating {dir} failed"))?;
        let migration = root.join(dir).join(&folder);
        fs::create_dir(&migration).with_context(|| format!("creating {} failed", migration.display()))?;
        write_new(&migration.join("up.sql"), &placeholder(name, backend, "apply"))?;
        write_new(&migration.join("down.sql"), &placeholder(name, backend, "revert"))?;
        println!("created {dir}/{folder}/up.sql and down.sql");
    }
    // paket-store's build script makes cargo re-embed the migrations when
    // anything under migrations/ changes.
    println!("write the SQL of both backends; the next build of paket-store embeds it");
    Ok(())
}

/// Accepts lowercase snake_case: ASCII letters, digits and single
/// underscores, starting with a letter.
fn validate_name(name: &str) -> Result<()> {
    let starts_with_letter = name.starts_with(|first: char| first.is_ascii_lowercase());
    let allowed = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let underscores_separate_words = !name.ends_with('_') && !name.contains("__");
    if starts_with_letter && allowed && underscores_separate_words {
        return Ok(());
    }
    bail!(
        "invalid migration name {name:?}: use snake_case, with lowercase ASCII letters, digits and single underscores, \
         starting with a letter, such as add_user_locale"
    )
}

/// Finds a migration folder in `dir` whose name, after the version, is `name`.
fn find_migration(dir: &Path, name: &str) -> Result<Option<PathBuf>> {
    if !dir.exists() {
        return Ok(None);
    }
    for entry in fs::read_dir(dir).with_context(|| format!("reading {} failed", dir.display()))? {
        let entry = entry.with_context(|| format!("reading {} failed", dir.display()))?;
        let folder = entry.file_name();
        let Some((_version, existing)) = folder.to_str().and_then(|folder| folder.split_once('_')) else {
            continue;
        };
        if existing == name {
            return Ok(Some(entry.path()));
        }
    }
    Ok(None)
}

/// Writes a new file, failing when it already exists.
fn write_new(path: &Path, text: &str) -> Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    let mut file = options.open(path).with_context(|| format!("creating {} failed", path.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes()).with_context(|| format!("writing {} failed", path.display()))
}

fn placeholder(name: &str, backend: Backend, verb: &str) -> String {
    let mut text = format!("-- Migration {name}: the {} statements that {verb} it.\n", backend_name(backend));
    if backend == Backend::Postgres {
        // diesel 2.4 sends a PostgreSQL migration as one query string and
        // fails with "Received an empty query" when it contains only comments.
        text.push_str("-- A file that contains only comments fails on PostgreSQL: write `SELECT 1;`\n");
        text.push_str("-- when this backend needs no change.\n");
    }
    text
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn snake_case_names_accepted() {
        for name in ["initial", "add_user_locale", "v2_keys", "a1"] {
            assert!(validate_name(name).is_ok(), "{name} should be accepted");
        }
    }

    #[test]
    fn other_names_rejected() {
        for name in ["", "AddUser", "add-user", "_add", "add_", "add__user", "1_add", "add user", "add/../user", "ä"] {
            assert!(validate_name(name).is_err(), "{name:?} should be rejected");
        }
    }

    #[test]
    fn create_writes_both_backends() -> Result<()> {
        let root = tempfile::tempdir()?;
        let now = Utc.with_ymd_and_hms(2027, 3, 9, 14, 5, 7).single().context("invalid test instant")?;

        create(root.path(), "add_user_locale", now)?;

        for (dir, backend) in MIGRATION_DIRS {
            let migration = root.path().join(dir).join("2027-03-09-140507_add_user_locale");
            let up = fs::read_to_string(migration.join("up.sql"))?;
            let down = fs::read_to_string(migration.join("down.sql"))?;
            assert!(up.starts_with("-- Migration add_user_locale"), "{dir} up.sql: {up}");
            assert!(down.starts_with("-- Migration add_user_locale"), "{dir} down.sql: {down}");
            let warns_of_empty_query = up.contains("SELECT 1;");
            assert_eq!(warns_of_empty_query, backend == Backend::Postgres, "{dir} up.sql: {up}");
        }
        Ok(())
    }

    #[test]
    fn create_rejects_existing_name() -> Result<()> {
        let root = tempfile::tempdir()?;
        fs::create_dir_all(root.path().join("migrations/postgres/2026-12-04-000000_add_user_locale"))?;
        let now = Utc.with_ymd_and_hms(2027, 3, 9, 14, 5, 7).single().context("invalid test instant")?;

        let result = create(root.path(), "add_user_locale", now);

        let message = format!("{:#}", result.err().context("a duplicate name should be rejected")?);
        assert!(message.contains("already exists"), "{message}");
        assert!(!root.path().join("migrations/sqlite/2027-03-09-140507_add_user_locale").exists());
        Ok(())
    }
}
