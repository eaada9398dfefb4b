//! The tables and the target check, as text for the terminal and markdown for BENCHMARKS.md.

use std::fmt::Write;

use crate::load::Stats;
use crate::scenarios::Backend;

pub struct Row {
    pub name: String,
    pub stats: Stats,
    pub peak_kib: Option<u64>,
    /// False when the kernel refused to reset the peak, so it is the peak since start.
    pub peak_is_per_scenario: bool,
}

pub struct BackendReport {
    pub backend: Backend,
    pub bare: Row,
    pub rows: Vec<Row>,
    pub idle_kib: Option<u64>,
}

pub struct Meta {
    pub command: String,
    pub started: String,
    pub finished: String,
    pub cores: usize,
    pub load_before: String,
    pub load_after: String,
    pub seconds: f64,
    pub connections: usize,
    pub quick: bool,
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0))
}

pub fn row_line(row: &Row) -> String {
    format!(
        "{:<50} {:>9.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  peak {:>6} MiB  {} requests, {} unexpected{}",
        row.name,
        row.stats.rate(),
        row.stats.percentile_ms(50.0),
        row.stats.percentile_ms(99.0),
        mib(row.peak_kib),
        row.stats.requests,
        row.stats.unexpected,
        row.stats
            .first_unexpected
            .map_or(String::new(), |s| format!(" (first: {s})")),
    )
}

/// One backend's table in markdown (also readable as plain text).
pub fn table(r: &BackendReport) -> String {
    let bare = r.bare.stats.rate();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### {} (server idle RSS {} MiB)\n\n| scenario | requests/s | p50 ms | p99 ms | × bare | server peak RSS MiB | non-2xx/3xx as expected |\n|---|---:|---:|---:|---:|---:|---:|",
        r.backend.name(),
        mib(r.idle_kib)
    );
    for row in std::iter::once(&r.bare).chain(&r.rows) {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.2} | {:.2} | {:.3} | {}{} | {} |",
            row.name,
            row.stats.rate(),
            row.stats.percentile_ms(50.0),
            row.stats.percentile_ms(99.0),
            row.stats.rate() / bare,
            mib(row.peak_kib),
            if row.peak_is_per_scenario { "" } else { "*" },
            if row.stats.unexpected == 0 {
                "0".to_owned()
            } else {
                format!(
                    "{} (first {})",
                    row.stats.unexpected,
                    row.stats.first_unexpected.unwrap_or(0)
                )
            },
        );
    }
    out
}

fn find<'a>(r: &'a BackendReport, prefix: &str) -> Option<&'a Row> {
    r.rows.iter().find(|row| row.name.starts_with(prefix))
}

fn mark(ok: bool) -> &'static str {
    if ok { "✓" } else { "✗" }
}

/// The targets of issue 5 against the measured rows, one line each.
pub fn targets(reports: &[BackendReport]) -> String {
    let mut out = String::from("| target | backend | measured | |\n|---|---|---|---|\n");
    for r in reports {
        let bare = r.bare.stats.rate();
        let ratio = |prefix: &str| find(r, prefix).map_or(0.0, |row| row.stats.rate() / bare);
        let b = r.backend.name();
        let (issuance_target, issuance_label) = match r.backend {
            Backend::Sqlite => (0.25, "issuance (REST) ≥ 0.25 × bare"),
            Backend::Postgres => (0.15, "issuance (REST) ≥ 0.15 × bare"),
        };
        let mut line = |label: &str, measured: String, ok: bool| {
            let _ = writeln!(out, "| {label} | {b} | {measured} | {} |", mark(ok));
        };
        let x = ratio("1.");
        line(issuance_label, format!("{x:.3} ×"), x >= issuance_target);
        let x = ratio("3.");
        line(
            "redirect exchange ≥ 0.15 × bare",
            format!("{x:.3} ×"),
            x >= 0.15,
        );
        let x = ratio("4.");
        line(
            "portal subscriptions page ≥ 0.40 × bare",
            format!("{x:.3} ×"),
            x >= 0.40,
        );
        let worst = r
            .rows
            .iter()
            .map(|row| (row.stats.percentile_ms(99.0), row.name.as_str()))
            .fold((0.0, ""), |a, b| if b.0 > a.0 { b } else { a });
        line(
            "p99 ≤ 10 ms in every scenario",
            format!("worst {:.2} ms ({})", worst.0, worst.1),
            worst.0 <= 10.0,
        );
        if let (Some(few), Some(many)) = (find(r, "5a."), find(r, "5b.")) {
            let x = many.stats.percentile_ms(99.0) / few.stats.percentile_ms(99.0).max(1e-9);
            line(
                "invoices page p99, many vs 10 invoices ≤ 2 ×",
                format!("{x:.2} ×"),
                x <= 2.0,
            );
        }
        if let (Some(none), Some(million)) = (find(r, "1."), find(r, "6.")) {
            let slower = none.stats.rate() / million.stats.rate().max(1e-9);
            let p99 = million.stats.percentile_ms(99.0) / none.stats.percentile_ms(99.0).max(1e-9);
            line(
                "issuance with many sessions stored vs a fresh store within 1.5 × (throughput and p99)",
                format!("{slower:.2} × slower, p99 {p99:.2} ×"),
                slower <= 1.5 && p99 <= 1.5,
            );
        }
        let idle = r.idle_kib.map_or(f64::MAX, |k| k as f64 / 1024.0);
        line(
            "server idle RSS ≤ 30 MiB",
            format!("{idle:.1} MiB"),
            idle <= 30.0,
        );
        let peak = r
            .rows
            .iter()
            .filter_map(|row| row.peak_kib)
            .max()
            .map_or(f64::MAX, |k| k as f64 / 1024.0);
        line(
            "server peak RSS under load ≤ 150 MiB",
            format!("{peak:.1} MiB"),
            peak <= 150.0,
        );
    }
    out
}

pub fn markdown(meta: &Meta, reports: &[BackendReport]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Benchmarks\n\nMeasured by `{}` ({}), {} → {}, on a machine with `nproc` = {}; load average \
         {} before and {} after. {} connections per scenario, {:.0} s each; the load generator \
         (crates/portico-bench) runs on the same machine over loopback. Ratios are to the bare axum \
         server measured in the same run, right before each backend's table. Peak RSS is the \
         server's VmHWM over each scenario (reset before it through /proc/PID/clear_refs; `*` \
         marks a peak since start-up).\n",
        meta.command,
        if meta.quick {
            "quick mode: too short to quote"
        } else {
            "full run"
        },
        meta.started,
        meta.finished,
        meta.cores,
        meta.load_before,
        meta.load_after,
        meta.connections,
        meta.seconds,
    );
    let busy = |load: &str| {
        load.split_whitespace()
            .next()
            .and_then(|l| l.parse::<f64>().ok())
            .is_some_and(|l| l > meta.cores as f64)
    };
    if busy(&meta.load_before) || busy(&meta.load_after) {
        out.push_str(
            "**The machine was busy** (load average above the core count: other work competed \
             with the server and the load generator), so absolute numbers are low and noisy; the \
             ratios, measured minutes apart in the same run, are the better guide.\n\n",
        );
    }
    for r in reports {
        out.push_str(&table(r));
        out.push('\n');
    }
    out.push_str("## Targets (issue 5)\n\n");
    out.push_str(&targets(reports));
    out
}
