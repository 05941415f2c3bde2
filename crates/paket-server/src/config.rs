//! Settings: defaults, then an optional `paket.toml`, then `PAKET_*`
//! environment variables, then command-line flags, each overriding the last.
//!
//! The `config` crate reads the defaults and the file. clap reads the flags
//! and their environment variables, so a flag and its variable share one
//! name and one help text.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use serde::Deserialize;

/// The SQLite database used when none is configured.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./paket.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_CONFIG_FILE: &str = "paket.toml";

/// Options shared by every subcommand. Unset options fall back to the
/// configuration file, then to the defaults.
#[derive(Debug, Clone, Default, Args)]
pub struct SettingsArgs {
    /// Configuration file in TOML [default: ./paket.toml when it exists]
    #[arg(long, env = "PAKET_CONFIG", global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Address and port to listen on, for HTTP and gRPC alike [default: 127.0.0.1:8080]
    #[arg(long, env = "PAKET_LISTEN", global = true, value_name = "ADDR:PORT")]
    pub listen: Option<String>,

    /// Database URL: sqlite://PATH or postgres://USER@HOST:PORT/DATABASE [default: sqlite://./paket.db]
    #[arg(long, env = "PAKET_DATABASE_URL", global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// Issuer URL in tokens and discovery [default: http:// and the listen address]
    #[arg(long, env = "PAKET_ISSUER", global = true, value_name = "URL")]
    pub issuer: Option<String>,

    /// Log format: text or json [default: text]
    #[arg(long, env = "PAKET_LOG_FORMAT", global = true, value_name = "FORMAT")]
    pub log_format: Option<String>,

    /// Maximum number of pooled database connections [default: 16]
    #[arg(long, env = "PAKET_POOL_SIZE", global = true, value_name = "N")]
    pub pool_size: Option<u32>,
}

/// The resolved settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub listen: String,
    pub database_url: String,
    pub issuer: Option<String>,
    pub log_format: LogFormat,
    pub pool_size: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum LogFormat {
    Text,
    Json,
}

impl TryFrom<String> for LogFormat {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("log_format {other:?} is invalid: use text or json")),
        }
    }
}

impl Settings {
    /// Resolves the settings from the defaults, the file and `args`.
    pub fn load(args: &SettingsArgs) -> anyhow::Result<Settings> {
        let mut builder = config::Config::builder()
            .set_default("listen", DEFAULT_LISTEN)?
            .set_default("database_url", DEFAULT_DATABASE_URL)?
            .set_default("log_format", "text")?
            .set_default("pool_size", 16)?;

        builder = match &args.config {
            Some(path) => builder.add_source(config::File::from(path.as_path()).required(true)),
            None => builder.add_source(config::File::with_name(DEFAULT_CONFIG_FILE).required(false)),
        };

        let overrides = [
            ("listen", args.listen.clone()),
            ("database_url", args.database_url.clone()),
            ("issuer", args.issuer.clone()),
            ("log_format", args.log_format.clone()),
        ];
        for (key, value) in overrides {
            if let Some(value) = value {
                builder = builder.set_override(key, value)?;
            }
        }
        if let Some(pool_size) = args.pool_size {
            builder = builder.set_override("pool_size", pool_size)?;
        }

        let settings: Settings = builder
            .build()
            .context("reading the configuration failed")?
            .try_deserialize()
            .with_context(|| format!("the configuration is invalid (read from the defaults, {}, PAKET_* variables and flags)", describe_file(args)))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        self.listen_address()?;
        if self.pool_size == 0 {
            bail!("pool_size (--pool-size, PAKET_POOL_SIZE) is 0: it must be at least 1");
        }
        if let Some(issuer) = &self.issuer {
            let valid = (issuer.starts_with("https://") || issuer.starts_with("http://")) && !issuer.contains(['?', '#']);
            if !valid {
                bail!("issuer {issuer:?} must be an http(s) URL without query or fragment");
            }
        }
        Ok(())
    }

    pub fn listen_address(&self) -> anyhow::Result<SocketAddr> {
        self.listen
            .parse()
            .with_context(|| format!("listen address {:?} is invalid: use ADDR:PORT such as 127.0.0.1:8080", self.listen))
    }

    /// Returns the configured issuer, or http:// and the bound address.
    pub fn issuer_for(&self, bound: SocketAddr) -> String {
        self.issuer.clone().unwrap_or_else(|| format!("http://{bound}"))
    }
}

fn describe_file(args: &SettingsArgs) -> String {
    match &args.config {
        Some(path) => path.display().to_string(),
        None => format!("./{DEFAULT_CONFIG_FILE} if it exists"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> SettingsArgs {
        // A file that does not exist keeps the developer's paket.toml out of the test.
        SettingsArgs { config: None, ..SettingsArgs::default() }
    }

    #[test]
    fn defaults_apply() {
        let dir = std::env::temp_dir().join(format!("paket-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("empty.toml");
        std::fs::write(&file, "").expect("write file");
        let settings = Settings::load(&SettingsArgs { config: Some(file), ..args() }).expect("settings");
        assert_eq!(settings.listen, DEFAULT_LISTEN);
        assert_eq!(settings.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(settings.issuer_for("127.0.0.1:8080".parse().expect("addr")), "http://127.0.0.1:8080");
    }

    #[test]
    fn flags_override_file() {
        let dir = std::env::temp_dir().join(format!("paket-config-override-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("paket.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\ndatabase_url = \"sqlite://file.db\"\n").expect("write file");
        let from_file = Settings::load(&SettingsArgs { config: Some(file.clone()), ..args() }).expect("settings");
        assert_eq!(from_file.listen, "127.0.0.1:9000");
        assert_eq!(from_file.database_url, "sqlite://file.db");

        let flagged = SettingsArgs { config: Some(file), listen: Some("127.0.0.1:9100".into()), ..args() };
        let settings = Settings::load(&flagged).expect("settings");
        assert_eq!(settings.listen, "127.0.0.1:9100");
        assert_eq!(settings.database_url, "sqlite://file.db");
    }

    #[test]
    fn invalid_settings_are_named() {
        let dir = std::env::temp_dir().join(format!("paket-config-invalid-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("typo.toml");
        std::fs::write(&file, "listn = \"127.0.0.1:9000\"\n").expect("write file");
        let error = Settings::load(&SettingsArgs { config: Some(file.clone()), ..args() }).expect_err("unknown key");
        assert!(format!("{error:#}").contains("listn"), "{error:#}");

        std::fs::write(&file, "").expect("write file");
        let bad_listen = SettingsArgs { config: Some(file.clone()), listen: Some("localhost".into()), ..args() };
        assert!(format!("{:#}", Settings::load(&bad_listen).expect_err("bad listen")).contains("listen address"));
        let bad_issuer = SettingsArgs { config: Some(file.clone()), issuer: Some("ftp://x".into()), ..args() };
        assert!(format!("{:#}", Settings::load(&bad_issuer).expect_err("bad issuer")).contains("issuer"));
        let bad_format = SettingsArgs { config: Some(file.clone()), log_format: Some("xml".into()), ..args() };
        let message = format!("{:#}", Settings::load(&bad_format).expect_err("bad log format"));
        assert!(message.contains("use text or json"), "{message}");
        let zero_pool = SettingsArgs { config: Some(file), pool_size: Some(0), ..args() };
        let message = format!("{:#}", Settings::load(&zero_pool).expect_err("zero pool"));
        assert!(message.contains("PAKET_POOL_SIZE"), "{message}");
    }
}
