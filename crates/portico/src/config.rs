//! Server configuration: defaults < `portico.toml` < `PORTICO_*` environment variables.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use portico_http::ServerLimits;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://portico.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The keys `portico.toml` may hold; any other key is an error, so typos do not pass silently.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<SecretString>,
    listen: Option<String>,
    public_url: Option<String>,
    log_format: Option<String>,
    master_key: Option<SecretString>,
    master_key_file: Option<PathBuf>,
    session_idle_timeout: Option<i64>,
    session_absolute_timeout: Option<i64>,
    api_rate_limit: Option<u32>,
    exchange_rate_limit: Option<u32>,
    header_read_timeout: Option<i64>,
    body_read_timeout: Option<i64>,
    idle_timeout: Option<i64>,
    request_timeout: Option<i64>,
    max_connections: Option<i64>,
    auth_failure_rate_limit: Option<u32>,
    trusted_proxies: Option<Vec<String>>,
    metrics_listen: Option<String>,
    webhooks_allow_private_targets: Option<bool>,
    stripe_api_base: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// The validated configuration. `Debug` never shows the database URL, which may hold a password.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: SecretString,
    pub listen: SocketAddr,
    /// The URL customers' browsers use; may contain `{subdomain}`.
    pub public_url: String,
    pub log_format: LogFormat,
    /// Seals signing keys at rest (32 bytes, base64). When unset, it is read from (or, the first
    /// time, written to) `master_key_file`.
    pub master_key: Option<SecretString>,
    pub master_key_file: PathBuf,
    pub session_idle_timeout_secs: i64,
    pub session_absolute_timeout_secs: i64,
    /// Requests per second per API key or OAuth client (bursts of twice that).
    pub api_rate_limit: u32,
    /// Portal-link exchanges per second per client address (bursts of three times that).
    pub exchange_rate_limit: u32,
    /// Timeouts for slow and idle clients, and the cap on open connections.
    pub server_limits: ServerLimits,
    /// Failed authentications per second per client address (bursts of ten times that).
    pub auth_failure_rate_limit: u32,
    /// Proxies whose `Forwarded` (or `X-Forwarded-For`) names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Where Prometheus metrics are served (`GET /metrics`), apart from the public listener so
    /// that they need not be public; unset (the default), they are not served at all.
    pub metrics_listen: Option<SocketAddr>,
    /// Lets webhook endpoints use plain `http` and private, loopback and link-local addresses:
    /// for development only (the demo turns it on). Off, only public `https` targets are taken.
    pub webhooks_allow_private_targets: bool,
    /// Where the `stripe` provider calls Stripe's API (`https://api.stripe.com`); a server
    /// setting, never an account's. Tests point it at localstripe, whose Stripe.js stand-in
    /// the portal then loads instead of `https://js.stripe.com`.
    pub stripe_api_base: String,
}

/// Where the values come from; separate from the process so that tests can supply their own.
pub struct Sources<'a> {
    pub file: Option<&'a Path>,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl Config {
    /// Loads from `PORTICO_CONFIG` (or `./portico.toml` when present) and the environment.
    pub fn load() -> anyhow::Result<Config> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let file = match env("PORTICO_CONFIG") {
            Some(path) => Some(PathBuf::from(path)),
            None => Some(PathBuf::from("portico.toml")).filter(|p| p.exists()),
        };
        Config::from_sources(Sources {
            file: file.as_deref(),
            env: &env,
        })
    }

    pub fn from_sources(sources: Sources<'_>) -> anyhow::Result<Config> {
        let file = match sources.file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read config file {}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .with_context(|| format!("invalid config file {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let env = sources.env;

        let database_url = env("PORTICO_DATABASE_URL")
            .map(SecretString::from)
            .or(file.database_url)
            .unwrap_or_else(|| SecretString::from(DEFAULT_DATABASE_URL));
        check_database_url(database_url.expose_secret())?;

        let listen_text = env("PORTICO_LISTEN")
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen: SocketAddr = listen_text.parse().with_context(|| {
            format!("listen: `{listen_text}` is not an address such as 127.0.0.1:8080")
        })?;

        let public_url = env("PORTICO_PUBLIC_URL")
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        let public_url = check_public_url(&public_url)?;

        let log_format = match env("PORTICO_LOG_FORMAT").or(file.log_format).as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => bail!("log_format: `{other}` is not one of json, pretty"),
        };

        let number = |key: &str,
                      env_value: Option<String>,
                      file_value: Option<i64>,
                      default: i64,
                      range: std::ops::RangeInclusive<i64>|
         -> anyhow::Result<i64> {
            let value = match env_value {
                Some(text) => text
                    .parse::<i64>()
                    .with_context(|| format!("{key}: `{text}` is not a whole number"))?,
                None => file_value.unwrap_or(default),
            };
            anyhow::ensure!(
                range.contains(&value),
                "{key}: must be between {} and {}",
                range.start(),
                range.end()
            );
            Ok(value)
        };
        let session_idle_timeout_secs = number(
            "session_idle_timeout",
            env("PORTICO_SESSION_IDLE_TIMEOUT"),
            file.session_idle_timeout,
            1800,
            60..=86_400,
        )?;
        let session_absolute_timeout_secs = number(
            "session_absolute_timeout",
            env("PORTICO_SESSION_ABSOLUTE_TIMEOUT"),
            file.session_absolute_timeout,
            43_200,
            60..=2_592_000,
        )?;
        // Requests a second, per credential or client address.
        let rate = |key: &str, env_key: &str, file_value: Option<u32>, default: i64| {
            number(
                key,
                env(env_key),
                file_value.map(i64::from),
                default,
                1..=1_000_000,
            )
            .map(|v| v as u32)
        };
        let api_rate_limit = rate(
            "api_rate_limit",
            "PORTICO_API_RATE_LIMIT",
            file.api_rate_limit,
            100,
        )?;
        let exchange_rate_limit = rate(
            "exchange_rate_limit",
            "PORTICO_EXCHANGE_RATE_LIMIT",
            file.exchange_rate_limit,
            10,
        )?;
        let defaults = ServerLimits::default();
        let seconds = |key: &str, env_key: &str, file_value: Option<i64>, default: Duration| {
            let default = i64::try_from(default.as_secs()).unwrap_or(i64::MAX);
            number(key, env(env_key), file_value, default, 1..=3600)
                .map(|secs| Duration::from_secs(secs.unsigned_abs()))
        };
        let server_limits = ServerLimits {
            header_read_timeout: seconds(
                "header_read_timeout",
                "PORTICO_HEADER_READ_TIMEOUT",
                file.header_read_timeout,
                defaults.header_read_timeout,
            )?,
            body_read_timeout: seconds(
                "body_read_timeout",
                "PORTICO_BODY_READ_TIMEOUT",
                file.body_read_timeout,
                defaults.body_read_timeout,
            )?,
            idle_timeout: seconds(
                "idle_timeout",
                "PORTICO_IDLE_TIMEOUT",
                file.idle_timeout,
                defaults.idle_timeout,
            )?,
            request_timeout: seconds(
                "request_timeout",
                "PORTICO_REQUEST_TIMEOUT",
                file.request_timeout,
                defaults.request_timeout,
            )?,
            max_connections: number(
                "max_connections",
                env("PORTICO_MAX_CONNECTIONS"),
                file.max_connections,
                i64::try_from(defaults.max_connections).unwrap_or(i64::MAX),
                1..=1_000_000,
            )?
            .unsigned_abs() as usize,
        };
        let auth_failure_rate_limit = rate(
            "auth_failure_rate_limit",
            "PORTICO_AUTH_FAILURE_RATE_LIMIT",
            file.auth_failure_rate_limit,
            10,
        )?;
        let proxies: Vec<String> = match env("PORTICO_TRUSTED_PROXIES") {
            Some(list) => list.split(',').map(|p| p.trim().to_owned()).collect(),
            None => file.trusted_proxies.unwrap_or_default(),
        };
        let trusted_proxies = proxies
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<IpAddr>().with_context(|| {
                    format!("trusted_proxies: `{p}` is not an IP address such as 10.0.0.1")
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let metrics_listen = env("PORTICO_METRICS_LISTEN")
            .or(file.metrics_listen)
            .filter(|text| !text.is_empty())
            .map(|text| {
                text.parse::<SocketAddr>().with_context(|| {
                    format!("metrics_listen: `{text}` is not an address such as 127.0.0.1:9090")
                })
            })
            .transpose()?;
        anyhow::ensure!(
            metrics_listen != Some(listen),
            "metrics_listen: must differ from listen ({listen})"
        );
        let webhooks_allow_private_targets =
            match env("PORTICO_WEBHOOKS_ALLOW_PRIVATE_TARGETS").as_deref() {
                Some("true" | "1") => true,
                Some("false" | "0") => false,
                Some(other) => {
                    bail!("webhooks_allow_private_targets: `{other}` is not one of true, false")
                }
                None => file.webhooks_allow_private_targets.unwrap_or(false),
            };
        let stripe_api_base = env("PORTICO_STRIPE_API_BASE")
            .or(file.stripe_api_base)
            .map(|url| check_url("stripe_api_base", &url))
            .transpose()?
            .unwrap_or_else(|| portico_app::payments::stripe::DEFAULT_API_BASE.to_owned());
        let master_key = env("PORTICO_MASTER_KEY")
            .map(SecretString::from)
            .or(file.master_key);
        let master_key_file = env("PORTICO_MASTER_KEY_FILE")
            .map(PathBuf::from)
            .or(file.master_key_file)
            .unwrap_or_else(|| PathBuf::from("portico-master.key"));

        Ok(Config {
            database_url,
            listen,
            public_url,
            log_format,
            master_key,
            master_key_file,
            session_idle_timeout_secs,
            session_absolute_timeout_secs,
            api_rate_limit,
            exchange_rate_limit,
            server_limits,
            auth_failure_rate_limit,
            trusted_proxies,
            metrics_listen,
            webhooks_allow_private_targets,
            stripe_api_base,
        })
    }

    pub fn with_overrides(
        mut self,
        listen: Option<SocketAddr>,
        database_url: Option<String>,
    ) -> anyhow::Result<Config> {
        if let Some(url) = database_url {
            check_database_url(&url)?;
            self.database_url = SecretString::from(url);
        }
        if let Some(addr) = listen {
            // A public URL derived from the old listen address follows the new one.
            if self.public_url == format!("http://{}", self.listen) {
                self.public_url = format!("http://{addr}");
            }
            self.listen = addr;
        }
        Ok(self)
    }
}

fn check_database_url(url: &str) -> anyhow::Result<()> {
    if url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://")
    {
        Ok(())
    } else {
        // The URL itself is not echoed: it may carry a password.
        bail!("database_url: must start with sqlite:// or postgres://")
    }
}

fn check_public_url(url: &str) -> anyhow::Result<String> {
    check_url("public_url", url)
}

fn check_url(key: &str, url: &str) -> anyhow::Result<String> {
    let trimmed = url.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(trimmed.to_owned())
        }
        _ => bail!("{key}: `{url}` is not an absolute http(s) URL"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::io::Write;

    fn load(file: Option<&str>, env: &[(&str, &str)]) -> anyhow::Result<Config> {
        let vars: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |k: &str| vars.get(k).cloned();
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        if let Some(text) = file {
            tmp.write_all(text.as_bytes()).unwrap();
        }
        Config::from_sources(Sources {
            file: file.map(|_| tmp.path()),
            env: &lookup,
        })
    }

    #[test]
    fn defaults() {
        let c = load(None, &[]).unwrap();
        assert_eq!(c.database_url.expose_secret(), DEFAULT_DATABASE_URL);
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn env_beats_file_beats_defaults() {
        let file = "listen = \"127.0.0.1:9000\"\npublic_url = \"https://billing.example.com/\"\n";
        let c = load(Some(file), &[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(c.public_url, "https://billing.example.com");
        let c = load(Some(file), &[("PORTICO_LISTEN", "0.0.0.0:7000")]).unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:7000");
    }

    #[test]
    fn webhooks_refuse_private_targets_unless_allowed() {
        assert!(!load(None, &[]).unwrap().webhooks_allow_private_targets);
        assert_eq!(
            load(None, &[]).unwrap().stripe_api_base,
            "https://api.stripe.com"
        );
        let local = load(Some("stripe_api_base = \"http://127.0.0.1:8420/\"\n"), &[]).unwrap();
        assert_eq!(local.stripe_api_base, "http://127.0.0.1:8420");
        let e = format!(
            "{:#}",
            load(None, &[("PORTICO_STRIPE_API_BASE", "ftp://x")]).unwrap_err()
        );
        assert!(e.contains("stripe_api_base"), "{e}");
        let file = "webhooks_allow_private_targets = true\n";
        assert!(
            load(Some(file), &[])
                .unwrap()
                .webhooks_allow_private_targets
        );
        let off = [("PORTICO_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "false")];
        assert!(
            !load(Some(file), &off)
                .unwrap()
                .webhooks_allow_private_targets
        );
        let bad = [("PORTICO_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "yes please")];
        let e = load(None, &bad).unwrap_err().to_string();
        assert!(e.contains("webhooks_allow_private_targets"), "{e}");
    }

    #[test]
    fn server_limits() {
        let c = load(None, &[]).unwrap();
        assert_eq!(c.server_limits, ServerLimits::default());
        let file = "header_read_timeout = 5\nidle_timeout = 20\nmax_connections = 50\n";
        let c = load(Some(file), &[("PORTICO_IDLE_TIMEOUT", "7")]).unwrap();
        assert_eq!(c.server_limits.header_read_timeout, Duration::from_secs(5));
        assert_eq!(c.server_limits.idle_timeout, Duration::from_secs(7));
        assert_eq!(c.server_limits.max_connections, 50);
        assert_eq!(
            c.server_limits.request_timeout,
            ServerLimits::default().request_timeout
        );
        for (key, value) in [
            ("PORTICO_HEADER_READ_TIMEOUT", "0"),
            ("PORTICO_BODY_READ_TIMEOUT", "3601"),
            ("PORTICO_REQUEST_TIMEOUT", "ten"),
            ("PORTICO_MAX_CONNECTIONS", "0"),
        ] {
            assert!(load(None, &[(key, value)]).is_err(), "{key}={value}");
        }
    }

    #[test]
    fn failure_limits_and_trusted_proxies() {
        let c = load(None, &[]).unwrap();
        assert_eq!(c.auth_failure_rate_limit, 10);
        assert!(c.trusted_proxies.is_empty());
        let file = "trusted_proxies = [\"10.0.0.1\", \"::1\"]\nauth_failure_rate_limit = 5\n";
        let c = load(Some(file), &[]).unwrap();
        assert_eq!(c.auth_failure_rate_limit, 5);
        assert_eq!(
            c.trusted_proxies,
            [
                "10.0.0.1".parse::<IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        let c = load(
            Some(file),
            &[("PORTICO_TRUSTED_PROXIES", "10.0.0.9, 10.0.0.8")],
        )
        .unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        let err = load(None, &[("PORTICO_TRUSTED_PROXIES", "proxy.internal")]).unwrap_err();
        assert!(format!("{err:#}").contains("trusted_proxies"), "{err:#}");
    }

    #[test]
    fn metrics_are_off_unless_given_an_address() {
        assert_eq!(load(None, &[]).unwrap().metrics_listen, None);
        let c = load(Some("metrics_listen = \"127.0.0.1:9090\"\n"), &[]).unwrap();
        assert_eq!(c.metrics_listen, Some("127.0.0.1:9090".parse().unwrap()));
        let c = load(
            Some("metrics_listen = \"127.0.0.1:9090\"\n"),
            &[("PORTICO_METRICS_LISTEN", "[::1]:9100")],
        )
        .unwrap();
        assert_eq!(c.metrics_listen, Some("[::1]:9100".parse().unwrap()));
        let err = load(None, &[("PORTICO_METRICS_LISTEN", "9090")]).unwrap_err();
        assert!(format!("{err:#}").contains("metrics_listen"), "{err:#}");
        let err = load(None, &[("PORTICO_METRICS_LISTEN", DEFAULT_LISTEN)]).unwrap_err();
        assert!(format!("{err:#}").contains("must differ"), "{err:#}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let err = load(Some("listn = \"x\""), &[]).unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown field `listn`"),
            "{err:#}"
        );
        assert!(load(None, &[("PORTICO_LISTEN", "localhost")]).is_err());
        assert!(load(None, &[("PORTICO_DATABASE_URL", "mysql://x")]).is_err());
        assert!(load(None, &[("PORTICO_PUBLIC_URL", "billing.example.com")]).is_err());
    }

    #[test]
    fn debug_hides_the_database_password() {
        let c = load(
            None,
            &[("PORTICO_DATABASE_URL", "postgres://u:hunter2@db/portico")],
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
