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
    /// The server's CPU time (user and system) over the run.
    pub cpu: Option<std::time::Duration>,
}

impl Row {
    /// Server CPU time per answered request, in microseconds.
    pub fn cpu_us(&self) -> Option<f64> {
        let cpu = self.cpu?;
        (self.stats.requests > 0).then(|| cpu.as_secs_f64() * 1e6 / self.stats.requests as f64)
    }
}

fn us(value: Option<f64>) -> String {
    value.map_or("?".into(), |v| format!("{v:.0}"))
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
    /// The scenarios chosen with `--only`, or empty for all.
    pub only: String,
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0))
}

pub fn row_line(row: &Row) -> String {
    format!(
        "{:<50} {:>9.0} req/s  {:>5} µs CPU/req  p50 {:>6.2} ms  p99 {:>6.2} ms  peak {:>6} MiB  {} requests, {} unexpected{}",
        row.name,
        row.stats.rate(),
        us(row.cpu_us()),
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

/// One backend's table in markdown (also readable as plain text), with the previous run's
/// figures of each scenario (from the markdown it wrote) beside the new ones.
pub fn table(r: &BackendReport, previous: Option<&str>) -> String {
    let bare = r.bare.stats.rate();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### {} (server idle RSS {} MiB)\n\n| scenario | requests/s | × bare | server CPU µs/request | previous: requests/s, × bare, CPU µs | p50 ms | p99 ms | server peak RSS MiB | non-2xx/3xx as expected |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        r.backend.name(),
        mib(r.idle_kib)
    );
    for row in std::iter::once(&r.bare).chain(&r.rows) {
        let before = previous
            .and_then(|p| previous_row(p, r.backend.name(), &row.name))
            .map_or("–".to_owned(), |b| {
                format!("{}, {}, {}", b.rate, b.ratio, b.cpu_us)
            });
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.3} | {} | {} | {:.2} | {:.2} | {}{} | {} |",
            row.name,
            row.stats.rate(),
            row.stats.rate() / bare,
            us(row.cpu_us()),
            before,
            row.stats.percentile_ms(50.0),
            row.stats.percentile_ms(99.0),
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

/// A scenario's figures in an earlier report.
#[derive(Debug, PartialEq, Eq)]
pub struct Previous {
    pub rate: String,
    pub ratio: String,
    /// `?` when that report had no CPU column.
    pub cpu_us: String,
}

/// The row of `scenario` under the `### {backend}` heading of an earlier report, read by the
/// columns its header names (reports before the CPU column had none).
pub fn previous_row(markdown: &str, backend: &str, scenario: &str) -> Option<Previous> {
    let section = markdown
        .split("\n### ")
        .find(|s| s.starts_with(backend) && s[backend.len()..].starts_with(' '))?;
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_owned())
            .collect()
    };
    let mut lines = section.lines().filter(|l| l.starts_with('|'));
    let header = cells(lines.next()?);
    let column = |name: &str| header.iter().position(|h| h == name);
    let row = lines
        .map(cells)
        .find(|c| c.first().is_some_and(|n| n == scenario))?;
    let get = |i: Option<usize>| i.and_then(|i| row.get(i)).cloned();
    Some(Previous {
        rate: get(column("requests/s"))?,
        ratio: get(column("× bare"))?,
        cpu_us: get(column("server CPU µs/request")).unwrap_or_else(|| "?".to_owned()),
    })
}

fn find<'a>(r: &'a BackendReport, prefix: &str) -> Option<&'a Row> {
    r.rows.iter().find(|row| row.name.starts_with(prefix))
}

fn mark(ok: bool) -> &'static str {
    if ok { "✓" } else { "✗" }
}

/// The targets of issues 5 and 15 against the measured rows, one line each; a scenario left out
/// of the run (`--only`) is left out here too.
pub fn targets(reports: &[BackendReport]) -> String {
    let mut out = String::from("| target | backend | measured | |\n|---|---|---|---|\n");
    for r in reports {
        let bare = r.bare.stats.rate();
        let b = r.backend.name();
        let sqlite = r.backend == Backend::Sqlite;
        let mut line = |label: &str, measured: String, ok: bool| {
            let _ = writeln!(out, "| {label} | {b} | {measured} | {} |", mark(ok));
        };
        let issuance = if sqlite { 0.25 } else { 0.15 };
        // (scenario, what it is called here, least ratio to bare, most CPU per request on SQLite)
        for (prefix, what, least, most_us) in [
            ("1.", "issuance (REST)", issuance, 60.0),
            ("3.", "redirect exchange", 0.15, 80.0),
            ("4.", "portal subscriptions page", 0.40, 35.0),
        ] {
            let Some(row) = find(r, prefix) else {
                continue;
            };
            let x = row.stats.rate() / bare;
            line(
                &format!("{what} ≥ {least:.2} × bare"),
                format!("{x:.3} ×"),
                x >= least,
            );
            if sqlite && let Some(cpu) = row.cpu_us() {
                line(
                    &format!("{what}: server CPU ≤ {most_us:.0} µs per request"),
                    format!("{cpu:.0} µs"),
                    cpu <= most_us,
                );
            }
        }
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

pub fn markdown(meta: &Meta, reports: &[BackendReport], previous: Option<&str>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Benchmarks\n\nMeasured by `{}` ({}), {} → {}, on a machine with `nproc` = {}; load average \
         {} before and {} after. {} connections per scenario, {:.0} s each; the load generator \
         (crates/portico-bench) runs on the same machine over loopback. Ratios are to the bare axum \
         server measured in the same run, right before each backend's table. Peak RSS is the \
         server's VmHWM over each scenario (reset before it through /proc/PID/clear_refs; `*` \
         marks a peak since start-up). Server CPU per request is the server process's user and \
         system time over the scenario (from /proc/PID/stat, all its threads, in clock ticks) \
         divided by the requests it answered: unlike requests/s it does not depend on how much \
         of the machine the load generator and other work took. The previous figures are those \
         of the report this run replaced{}.\n",
        meta.command,
        if meta.quick {
            "quick mode: too short to quote"
        } else if !meta.only.is_empty() {
            "chosen scenarios only"
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
        if meta.only.is_empty() {
            String::new()
        } else {
            format!("; only these scenarios ran: {}", meta.only)
        },
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
        out.push_str(&table(r, previous));
        out.push('\n');
    }
    out.push_str("## Targets (issues 5 and 15)\n\n");
    out.push_str(&targets(reports));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const EARLIER: &str = "# Benchmarks\n\ntext\n\n### SQLite (server idle RSS 31.5 MiB)\n\n\
        | scenario | requests/s | p50 ms | p99 ms | × bare | server peak RSS MiB | non-2xx/3xx as expected |\n\
        |---|---:|---:|---:|---:|---:|---:|\n\
        | 1. REST issuance (fresh store) | 9396 | 2.88 | 11.17 | 0.080 | 64.2 | 0 |\n\n\
        ### PostgreSQL (server idle RSS 28.2 MiB)\n\n\
        | scenario | requests/s | × bare | server CPU µs/request | p50 ms |\n\
        |---|---:|---:|---:|---:|\n\
        | 1. REST issuance (fresh store) | 8618 | 0.081 | 190 | 3.34 |\n";

    #[test]
    fn previous_figures_are_read_by_column_name_per_backend() {
        assert_eq!(
            previous_row(EARLIER, "SQLite", "1. REST issuance (fresh store)"),
            Some(Previous {
                rate: "9396".into(),
                ratio: "0.080".into(),
                cpu_us: "?".into(),
            })
        );
        assert_eq!(
            previous_row(EARLIER, "PostgreSQL", "1. REST issuance (fresh store)"),
            Some(Previous {
                rate: "8618".into(),
                ratio: "0.081".into(),
                cpu_us: "190".into(),
            })
        );
        assert_eq!(
            previous_row(EARLIER, "SQLite", "3. redirect exchange"),
            None
        );
        assert_eq!(
            previous_row("", "SQLite", "1. REST issuance (fresh store)"),
            None
        );
    }
}
