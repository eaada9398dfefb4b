//! Portico's benchmark: a bare axum server (the ceiling), and a driver that starts `portico serve`
//! on a fresh SQLite and PostgreSQL database, seeds it, and measures the access scenarios of
//! issue 5 with the load generator in `load`.

mod http;
mod load;
mod report;
mod scenarios;

use std::net::SocketAddr;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Portico's benchmark harness")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve "ok" on every path: the ceiling Portico's numbers are divided by.
    Bare {
        #[arg(long)]
        listen: SocketAddr,
    },
    /// Run every scenario against `portico serve` on each backend and print the tables.
    Run(scenarios::RunArgs),
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    match cli.command {
        Command::Bare { listen } => runtime.block_on(bare(listen)),
        Command::Run(args) => runtime.block_on(scenarios::run(args)),
    }
}

/// The bare server: axum on tokio with the same default runtime as `portico serve`.
async fn bare(listen: SocketAddr) -> Result<()> {
    let app = axum::Router::new().fallback(|| async { "ok" });
    let listener = tokio::net::TcpListener::bind(listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
