//! `portico`: serve the portal, run the demo, and manage accounts and keys.

use std::net::SocketAddr;

use anyhow::Context;
use clap::{Parser, Subcommand};
use portico::config::Config;
use portico::{admin, demo, server};
use portico_core::scope::ApiScopes;
use secrecy::ExposeSecret;

#[derive(Parser)]
#[command(
    name = "portico",
    version,
    about = "Self-hosted customer portal server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the portal (migrates the database first).
    Serve,
    /// Seed a demo account `acme` on an embedded SQLite database, print an API key, and serve.
    Demo {
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// Defaults to sqlite://portico-demo.db, apart from the database `serve` uses.
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage vendor accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Manage API keys.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Print a portal link for a customer (or one of its contacts).
    PortalLink {
        /// The account's subdomain.
        #[arg(long)]
        account: String,
        /// Customer id or alias.
        #[arg(long)]
        customer: String,
        /// Contact id or external id.
        #[arg(long)]
        contact: Option<String>,
        /// overview, subscriptions, transactions, invoices, payment-method or account.
        #[arg(long, default_value = "overview")]
        page: String,
        /// Lifetime in seconds, 60 to 2592000.
        #[arg(long, value_name = "SECS", default_value_t = 86_400)]
        expires_in: i64,
    },
    /// Manage the accounts' token signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Run the billing clock.
    Billing {
        #[command(subcommand)]
        command: BillingCommand,
    },
}

#[derive(Subcommand)]
enum BillingCommand {
    /// Renew, charge and retry every subscription due now (or by --until) and exit; `serve`
    /// does the same every few seconds.
    Run {
        /// Bill up to this time (RFC 3339, e.g. 2027-01-01T00:00:00Z) instead of now.
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make a new signing key current; the old one keeps verifying the tokens it signed.
    Rotate {
        #[arg(long)]
        account: String,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account; prints its id.
    Create {
        #[arg(long)]
        subdomain: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key; prints the key alone on stdout. It is shown this once.
    Create {
        /// The account's subdomain.
        #[arg(long)]
        account: String,
        /// Comma-separated scopes, e.g. security:write,customers:read.
        #[arg(long)]
        scopes: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// Revoke a key by its id (key_…).
    Revoke {
        #[arg(long)]
        account: String,
        id: String,
    },
}

/// mimalloc: request handling allocates many small, short-lived buffers, which glibc's malloc
/// serves at several times the cost (it was an eighth of the server's time in the benchmark).
/// Built without transparent huge pages (`no_thp`): mimalloc asks for them on its arenas, and
/// the first arena's eager commit then made 16 MiB resident at start-up where the server touches
/// about 4; without them the idle server holds 26 MiB instead of 36, and requests cost the same.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load()?;
    server::init_logging(config.log_format);
    let now = server::now();
    match cli.command {
        Command::Serve => {
            let store = server::open_store(config.database_url.expose_secret()).await?;
            server::serve(config, store).await
        }
        Command::Demo {
            listen,
            database_url,
        } => {
            let url = database_url.unwrap_or_else(|| "sqlite://portico-demo.db".to_owned());
            let mut config = config.with_overrides(listen, Some(url))?;
            // The demo's webhooks may go to a receiver on the same machine.
            config.webhooks_allow_private_targets = true;
            let store = server::open_store(config.database_url.expose_secret()).await?;
            let app = server::app(&config, store.clone())?;
            let account = demo::seed(&app, now).await?;
            let (_, key) =
                admin::create_api_key(&app, &account, "demo", ApiScopes::all(), now).await?;
            let base = config.public_url.replace("{subdomain}", demo::SUBDOMAIN);
            let link =
                portal_link(&app, &account, "superdesk-123", None, "overview", 86_400).await?;
            println!("Portico demo: account `{}` on {}", account.subdomain, base);
            println!("API key: {key}");
            println!("Portal link (Superdesk GmbH, 24 hours, opens one browser session): {link}");
            println!("Try:     curl -H 'Authorization: Bearer {key}' {base}/api/v1/customers");
            server::serve(config, store).await
        }
        Command::Migrate => {
            let store = server::open_store(config.database_url.expose_secret()).await?;
            println!("migrations applied ({})", store.backend());
            let found = store
                .id_form_vendor_ids()
                .await
                .context("cannot check the stored vendor ids")?;
            for line in admin::id_form_report(&found) {
                println!("{line}");
            }
            Ok(())
        }
        Command::Account {
            command: AccountCommand::Create { subdomain, name },
        } => {
            let store = server::open_store(config.database_url.expose_secret()).await?;
            let subdomain = portico_core::model::subdomain(&subdomain)?;
            let name = portico_core::error::required_text("name", &name, 200)?;
            let account = store
                .create_account(&subdomain, &name, now)
                .await
                .context("cannot create the account")?;
            // The account's first signing key, so that its first portal link costs nothing extra.
            let app = server::app(&config, store.clone())?;
            let by = portico_app::Caller::operator(account.id.clone());
            portico_app::keys::current(&app, &by, now)
                .await
                .map_err(|e| anyhow::anyhow!("cannot create the account's signing key: {e}"))?;
            println!("{}", account.id);
            Ok(())
        }
        Command::PortalLink {
            account,
            customer,
            contact,
            page,
            expires_in,
        } => {
            let store = server::open_store(config.database_url.expose_secret()).await?;
            let app = server::app(&config, store.clone())?;
            let account = admin::account_by_subdomain(store.as_ref(), &account).await?;
            println!(
                "{}",
                portal_link(
                    &app,
                    &account,
                    &customer,
                    contact.as_deref(),
                    &page,
                    expires_in
                )
                .await?
            );
            Ok(())
        }
        Command::Keys {
            command: KeysCommand::Rotate { account },
        } => {
            let store = server::open_store(config.database_url.expose_secret()).await?;
            let app = server::app(&config, store.clone())?;
            let account = admin::account_by_subdomain(store.as_ref(), &account).await?;
            let by = portico_app::Caller::operator(account.id.clone());
            let key = portico_app::keys::rotate(&app, &by, now)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", key.id);
            Ok(())
        }
        Command::Billing {
            command: BillingCommand::Run { until },
        } => {
            let store = server::open_store(config.database_url.expose_secret()).await?;
            let app = server::app(&config, store)?;
            println!("{}", admin::billing_run(&app, until.as_deref()).await?);
            Ok(())
        }
        Command::ApiKey { command } => {
            let store = server::open_store(config.database_url.expose_secret()).await?;
            match command {
                ApiKeyCommand::Create {
                    account,
                    scopes,
                    name,
                } => {
                    let account = admin::account_by_subdomain(store.as_ref(), &account).await?;
                    let scopes = ApiScopes::parse("scopes", &scopes)?;
                    let app = server::app(&config, store.clone())?;
                    let (_, key) =
                        admin::create_api_key(&app, &account, &name, scopes, now).await?;
                    println!("{key}");
                    Ok(())
                }
                ApiKeyCommand::Revoke { account, id } => {
                    let account = admin::account_by_subdomain(store.as_ref(), &account).await?;
                    let id = id
                        .parse()
                        .with_context(|| format!("`{id}` is not an API key id"))?;
                    let app = server::app(&config, store.clone())?;
                    let by = portico_app::Caller::operator(account.id.clone());
                    portico_app::credentials::revoke_api_key(&app, &by, &id, now).await?;
                    println!("revoked {id}");
                    Ok(())
                }
            }
        }
    }
}

/// Issues a portal session as the operator and returns its link.
async fn portal_link(
    app: &portico_app::App,
    account: &portico_core::model::Account,
    customer: &str,
    contact: Option<&str>,
    page: &str,
    expires_in: i64,
) -> anyhow::Result<String> {
    use portico_app::access::{Target, issue};
    use portico_core::model::{ContactRef, CustomerRef, NewPortalSession, PortalPage};
    let request = NewPortalSession {
        customer: customer.to_owned(),
        contact: contact.map(str::to_owned),
        expires_in_seconds: Some(expires_in),
        page: Some(PortalPage::parse("page", page)?),
        ..NewPortalSession::default()
    }
    .validate()?;
    let customer = CustomerRef::parse(customer);
    let target = match contact {
        Some(c) => Target::CustomerContact(customer, ContactRef::parse(c)),
        None => Target::Customer(customer),
    };
    let by = portico_app::Caller::operator(account.id.clone());
    let issued = issue(
        app,
        &by,
        &target,
        request,
        portico_app::Clock::now(app.clock.as_ref()),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(issued.url(app))
}
