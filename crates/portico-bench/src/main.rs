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
    /// Drive one request shape at a running server (for profiling it) and print the numbers.
    Load {
        #[arg(long)]
        addr: SocketAddr,
        #[arg(long, default_value = "GET")]
        method: String,
        #[arg(long)]
        path: String,
        /// `Name: value`, repeatable.
        #[arg(long)]
        header: Vec<String>,
        #[arg(long)]
        body: Option<String>,
        #[arg(long, default_value_t = 200)]
        expect: u16,
        #[arg(long, default_value_t = 32)]
        connections: usize,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
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
        Command::Load {
            addr,
            method,
            path,
            header,
            body,
            expect,
            connections,
            seconds,
        } => {
            let headers: Vec<(&str, &str)> = header
                .iter()
                .filter_map(|h| h.split_once(':'))
                .map(|(n, v)| (n.trim(), v.trim()))
                .collect();
            let req = http::request(&method, &path, &headers, body.as_deref());
            let load = load::Load {
                addr,
                connections,
                duration: std::time::Duration::from_secs_f64(seconds),
                max_requests: u64::MAX,
                expect_status: expect,
            };
            let stats = runtime.block_on(load::run(
                &load,
                std::sync::Arc::new(move |_, _| Some(req.clone())),
            ))?;
            println!(
                "{:.0} req/s  p50 {:.2} ms  p99 {:.2} ms  {} requests, {} unexpected",
                stats.rate(),
                stats.percentile_ms(50.0),
                stats.percentile_ms(99.0),
                stats.requests,
                stats.unexpected
            );
            Ok(())
        }
    }
}

/// The bare server: axum on tokio with the same default runtime as `portico serve`.
async fn bare(listen: SocketAddr) -> Result<()> {
    let app = axum::Router::new().fallback(|| async { "ok" });
    let listener = tokio::net::TcpListener::bind(listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
