//! The scenario driver: for each backend, a fresh database, the bare server measured first, then
//! `portico serve` as a child process, seeded through its API and (for bulk rows) by SQL copies
//! of rows the API made, and the six scenarios of issue 5 measured at 32 connections each.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

use crate::http::{Conn, Response, request};
use crate::load::{self, Load, MakeRequest, Stats};
use crate::report::{self, BackendReport, Row};

#[derive(clap::Args)]
pub struct RunArgs {
    /// About 2 s per scenario and smaller seeds: proves the harness works, measures little.
    #[arg(long)]
    quick: bool,
    /// Comma-separated: sqlite, postgres.
    #[arg(long, default_value = "sqlite,postgres")]
    backends: String,
    /// The release `portico` binary to measure.
    #[arg(long, default_value = "target/bench/release/portico")]
    portico: PathBuf,
    /// The repository root (for scripts/pg-cluster).
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// Write the report (markdown) here as well as printing it.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The earlier report whose figures are shown beside the new ones (default: `--out`).
    #[arg(long)]
    previous: Option<PathBuf>,
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Seconds per scenario (default 10, or 2 with --quick).
    #[arg(long)]
    seconds: Option<f64>,
    /// The command line to record in the report.
    #[arg(long, default_value = "portico-bench run")]
    command: String,
    /// Comma-separated scenarios to run alone (for iterating on one): issuance, graphql,
    /// exchange, subscriptions, invoices, stored. The bare server is always measured.
    #[arg(long, value_parser = parse_only)]
    only: Option<Only>,
}

/// The scenarios of one run.
#[derive(Clone, Debug)]
pub struct Only(Vec<&'static str>);

const SCENARIOS: [&str; 6] = [
    "issuance",
    "graphql",
    "exchange",
    "subscriptions",
    "invoices",
    "stored",
];

fn parse_only(text: &str) -> Result<Only, String> {
    text.split(',')
        .map(str::trim)
        .map(|name| {
            SCENARIOS
                .iter()
                .find(|s| **s == name)
                .copied()
                .ok_or_else(|| format!("unknown scenario {name:?} ({})", SCENARIOS.join(", ")))
        })
        .collect::<Result<_, _>>()
        .map(Only)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// Sizes of the seeded data and of the runs.
struct Plan {
    duration: Duration,
    connections: usize,
    customers: usize,
    page_sessions: usize,
    contacts: usize,
    many_invoices: usize,
    stored_sessions: usize,
    only: Option<Only>,
}

impl Plan {
    fn runs(&self, scenario: &str) -> bool {
        self.only.as_ref().is_none_or(|o| o.0.contains(&scenario))
    }
}

pub async fn run(args: RunArgs) -> Result<()> {
    let plan = Plan {
        duration: Duration::from_secs_f64(args.seconds.unwrap_or(if args.quick {
            2.0
        } else {
            10.0
        })),
        connections: args.connections,
        // Quick mode keeps the harness working; a small seed is enough for that.
        customers: if args.quick { 1_000 } else { 10_000 },
        page_sessions: if args.quick { 256 } else { 2_000 },
        contacts: 100,
        many_invoices: if args.quick { 1_000 } else { 100_000 },
        stored_sessions: if args.quick { 10_000 } else { 1_000_000 },
        only: args.only,
    };
    let portico = std::fs::canonicalize(&args.portico)
        .with_context(|| format!("{} not found: build it first", args.portico.display()))?;
    let repo = std::fs::canonicalize(&args.repo)?;
    let previous = args
        .previous
        .as_ref()
        .or(args.out.as_ref())
        .and_then(|p| std::fs::read_to_string(p).ok());
    let started = utc_now();
    let load_before = loadavg();
    let mut reports = Vec::new();
    for name in args.backends.split(',').map(str::trim) {
        let backend = match name {
            "sqlite" => Backend::Sqlite,
            "postgres" => Backend::Postgres,
            other => bail!("unknown backend {other:?} (sqlite, postgres)"),
        };
        let report = run_backend(backend, &plan, &portico, &repo).await?;
        println!("{}", report::table(&report, previous.as_deref()));
        reports.push(report);
    }
    let meta = report::Meta {
        command: args.command,
        started,
        finished: utc_now(),
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_before,
        load_after: loadavg(),
        seconds: plan.duration.as_secs_f64(),
        connections: plan.connections,
        quick: args.quick,
        only: plan.only.as_ref().map_or(String::new(), |o| o.0.join(", ")),
    };
    let markdown = report::markdown(&meta, &reports, previous.as_deref());
    println!("{}", report::targets(&reports));
    if let Some(out) = args.out {
        std::fs::write(&out, markdown).with_context(|| format!("writing {}", out.display()))?;
        println!("wrote {}", out.display());
    }
    Ok(())
}

fn utc_now() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn free_addr() -> Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// A field of /proc/{pid}/status in KiB (`VmRSS`, `VmHWM`).
fn proc_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Resets the process's peak RSS so that VmHWM afterwards is the peak of one scenario.
fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// A server process of ours; killed when dropped.
struct Server {
    child: Child,
    pid: u32,
}

impl Server {
    async fn start(mut command: Command, addr: SocketAddr, log: &Path) -> Result<Self> {
        let log = std::fs::File::create(log)?;
        command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        let mut child = command.spawn().context("starting the server")?;
        let pid = child.id().context("server pid")?;
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = child.try_wait()? {
                bail!("the server exited during start-up: {status}");
            }
            if let Ok(mut conn) = Conn::connect(addr).await {
                let get = request("GET", "/healthz", &[], None);
                if conn.send(&get).await.is_ok_and(|r| r.status == 200) {
                    break;
                }
            }
            if Instant::now() > deadline {
                bail!("the server at {addr} did not answer /healthz within 120 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Self { child, pid })
    }

    async fn stop(mut self) -> Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}

/// The benchmark's own connection to the database, for bulk seeding by SQL.
enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Db {
    async fn exec(&self, sql: &str) -> Result<u64> {
        Ok(match self {
            Db::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await?.rows_affected(),
            Db::Postgres(p) => sqlx::raw_sql(sql).execute(p).await?.rows_affected(),
        })
    }

    /// `n` rows numbered 1..=n, as a FROM item called `n` with column `i`.
    fn series(&self, n: usize) -> String {
        match self {
            Db::Sqlite(_) => format!(
                "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) \
                 SELECT i FROM s) AS n"
            ),
            Db::Postgres(_) => format!("generate_series(1, {n}) AS n(i)"),
        }
    }

    /// A valid id body (26 Crockford base32 digits, first ≤ 7) made from `i`.
    fn id_body(&self, prefix: &str, i: &str) -> String {
        match self {
            Db::Sqlite(_) => format!("'{prefix}_01' || printf('%024d', {i})"),
            Db::Postgres(_) => format!("'{prefix}_01' || lpad(({i})::text, 24, '0')"),
        }
    }
}

/// The vendor API with the benchmark's key, one keep-alive connection.
struct Api {
    addr: SocketAddr,
    auth: String,
    conn: Conn,
}

impl Api {
    async fn call(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
        ok: u16,
    ) -> Result<Response> {
        let req = request(method, path, &[("Authorization", &self.auth)], body);
        let response = self.conn.send(&req).await?;
        if response.status != ok {
            bail!(
                "{method} {path}: {} {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            );
        }
        Ok(response)
    }
}

/// Sends `count` requests over `connections` connections; every answer must have status `ok`.
async fn parallel(
    addr: SocketAddr,
    connections: usize,
    count: usize,
    ok: u16,
    make: Arc<dyn Fn(usize) -> Vec<u8> + Send + Sync>,
) -> Result<Vec<Response>> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..connections.min(count.max(1)) {
        let next = next.clone();
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::connect(addr).await?;
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let response = conn.send(&make(i)).await?;
                if response.status != ok {
                    bail!(
                        "seeding request {i}: {} {}",
                        response.status,
                        String::from_utf8_lossy(&response.body)
                    );
                }
                out.push((i, response));
            }
            Ok(out)
        }));
    }
    let mut all = Vec::with_capacity(count);
    for task in tasks {
        all.extend(task.await??);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, r)| r).collect())
}

/// The CPU time (user and system, all threads) the process has used so far, from
/// /proc/{pid}/stat.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_ticks(&stat).map(|ticks| Duration::from_secs_f64(ticks as f64 / clock_ticks()))
}

/// utime + stime of a /proc/{pid}/stat line, in clock ticks: fields 14 and 15, counted past the
/// command name in parentheses (which may itself hold spaces and parentheses).
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux where that cannot run).
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// Measures one scenario: warms up (unless the requests are single-use), resets the server's
/// peak RSS, runs the load, reads the peak and the server's CPU time over the run.
async fn measure(name: &str, pid: u32, load: &Load, make: MakeRequest) -> Result<Row> {
    if !name.contains("single-use") {
        let warm_up = Load {
            duration: (load.duration / 5).min(Duration::from_secs(1)),
            ..*load
        };
        load::run(&warm_up, make.clone()).await?;
    }
    let reset = reset_peak(pid);
    let cpu_before = cpu_time(pid);
    let stats: Stats = load::run(load, make).await?;
    let cpu = cpu_before
        .zip(cpu_time(pid))
        .map(|(b, a)| a.saturating_sub(b));
    let peak_kib = proc_kib(pid, "VmHWM");
    let row = Row {
        name: name.to_owned(),
        stats,
        peak_kib,
        peak_is_per_scenario: reset,
        cpu,
    };
    eprintln!("  {}", report::row_line(&row));
    Ok(row)
}

fn cookie_of(response: &Response) -> Result<String> {
    let set = response
        .header("set-cookie")
        .context("the portal answered without a session cookie")?;
    Ok(set.split(';').next().unwrap_or_default().to_owned())
}

async fn run_backend(
    backend: Backend,
    plan: &Plan,
    portico: &Path,
    repo: &Path,
) -> Result<BackendReport> {
    eprintln!("== {}", backend.name());
    let tmp = tempfile::tempdir()?;
    let pg_dir = repo.join("target/bench/pg-cluster");
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", tmp.path().join("portico.db").display()),
        Backend::Postgres => {
            pg_cluster(repo, &pg_dir, "stop").await?;
            pg_cluster(repo, &pg_dir, "start").await?
        }
    };
    let result = run_backend_on(backend, plan, portico, tmp.path(), &url).await;
    if backend == Backend::Postgres {
        pg_cluster(repo, &pg_dir, "stop").await?;
    }
    result
}

async fn pg_cluster(repo: &Path, dir: &Path, verb: &str) -> Result<String> {
    let out = Command::new(repo.join("scripts/pg-cluster"))
        .arg(verb)
        .env("PORTICO_PG_DIR", dir)
        .env("PORTICO_PG_DURABLE", "1")
        .stderr(Stdio::inherit())
        .output()
        .await
        .context("running scripts/pg-cluster")?;
    if !out.status.success() {
        bail!("scripts/pg-cluster {verb} failed");
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

async fn run_backend_on(
    backend: Backend,
    plan: &Plan,
    portico: &Path,
    tmp: &Path,
    url: &str,
) -> Result<BackendReport> {
    let addr = free_addr()?;
    let env = |c: &mut Command| {
        c.env("PORTICO_DATABASE_URL", url)
            .env("PORTICO_LISTEN", addr.to_string())
            .env("PORTICO_MASTER_KEY_FILE", tmp.join("master.key"))
            .env("PORTICO_API_RATE_LIMIT", "1000000")
            .env("PORTICO_EXCHANGE_RATE_LIMIT", "1000000")
            .env("PORTICO_LOG", "warn");
    };
    let cli = |args: &[&str]| {
        let mut c = Command::new(portico);
        c.args(args);
        env(&mut c);
        c
    };
    for args in [
        &["migrate"][..],
        &[
            "account",
            "create",
            "--subdomain",
            "bench",
            "--name",
            "Bench",
        ][..],
    ] {
        let out = cli(args).output().await?;
        if !out.status.success() {
            bail!("portico {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let out = cli(&[
        "api-key",
        "create",
        "--account",
        "bench",
        "--scopes",
        "security:write,security:read,customers:read,customers:write,billing:read,billing:write",
    ])
    .output()
    .await?;
    if !out.status.success() {
        bail!(
            "portico api-key create: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let key = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let auth = format!("Bearer {key}");

    let load = |max: u64, expect: u16| Load {
        addr,
        connections: plan.connections,
        duration: plan.duration,
        max_requests: max,
        expect_status: expect,
    };

    // The ceiling, measured on this machine now.
    let bare_addr = free_addr()?;
    let mut bare_cmd = Command::new(std::env::current_exe()?);
    bare_cmd.args(["bare", "--listen", &bare_addr.to_string()]);
    let bare = Server::start(bare_cmd, bare_addr, &tmp.join("bare.log")).await?;
    let bare_get = Arc::new(request("GET", "/healthz", &[], None));
    let bare_row = measure(
        "bare axum server (\"ok\")",
        bare.pid,
        &Load {
            addr: bare_addr,
            ..load(u64::MAX, 200)
        },
        Arc::new(move |_, _| Some(bare_get.to_vec())),
    )
    .await?;
    bare.stop().await?;

    let mut serve = cli(&["serve"]);
    serve.kill_on_drop(true);
    let server = Server::start(serve, addr, &tmp.join("portico.log")).await?;
    let pid = server.pid;
    let idle_kib = proc_kib(pid, "VmRSS");
    eprintln!("  portico serve up, idle RSS {} KiB", idle_kib.unwrap_or(0));

    let db = match backend {
        Backend::Sqlite => Db::Sqlite(sqlx::SqlitePool::connect(url).await?),
        Backend::Postgres => Db::Postgres(sqlx::PgPool::connect(url).await?),
    };
    let mut api = Api {
        addr,
        auth: auth.clone(),
        conn: Conn::connect(addr).await?,
    };
    seed(&mut api, &db, plan).await?;
    eprintln!("  seeded");

    let mut rows = Vec::new();
    let customers = plan.customers;
    let conns = plan.connections as u64;
    let alias = move |conn: usize, seq: u64| (conn as u64 + seq * conns) as usize % customers;

    // 1. REST issuance across the customers; nothing issued yet.
    let issue_rest: MakeRequest = {
        let auth = auth.clone();
        Arc::new(move |conn, seq| {
            let path = format!("/api/v1/customers/c{}/portal-token", alias(conn, seq));
            Some(request(
                "POST",
                &path,
                &[("Authorization", &auth)],
                Some("null"),
            ))
        })
    };
    if plan.runs("issuance") {
        rows.push(
            measure(
                "1. REST issuance (fresh store)",
                pid,
                &load(u64::MAX, 200),
                issue_rest.clone(),
            )
            .await?,
        );
    }

    if plan.runs("graphql") {
        // 2. GraphQL portalSessionCreate.
        let issue_graphql: MakeRequest = {
            let auth = auth.clone();
            Arc::new(move |conn, seq| {
                let body = format!(
                    "{{\"query\":\"mutation($c:String!){{portalSessionCreate(tenantCode:$c){{errors token}}}}\",\"variables\":{{\"c\":\"c{}\"}}}}",
                    alias(conn, seq)
                );
                Some(request(
                    "POST",
                    "/graphql",
                    &[("Authorization", &auth)],
                    Some(&body),
                ))
            })
        };
        rows.push(
            measure(
                "2. GraphQL portalSessionCreate",
                pid,
                &load(u64::MAX, 200),
                issue_graphql,
            )
            .await?,
        );
    }

    if plan.runs("exchange") {
        // 3. Redirect exchange: each connection gets its own fresh single-use links, made just
        // before the run (they live 30 s), for as long as a run lasts.
        let tokens = make_redirect_tokens(addr, &auth, plan).await?;
        let total: usize = tokens.iter().map(Vec::len).sum();
        eprintln!("  {total} redirect links made");
        let tokens = Arc::new(tokens);
        let exchange: MakeRequest = Arc::new(move |conn, seq| {
            let token = tokens.get(conn)?.get(seq as usize)?;
            Some(request("GET", &format!("/redirect/{token}"), &[], None))
        });
        rows.push(
            measure(
                "3. redirect exchange (fresh single-use links)",
                pid,
                &load(u64::MAX, 303),
                exchange,
            )
            .await?,
        );
    }

    if plan.runs("subscriptions") {
        // 4. The subscriptions page, many browser sessions.
        let cookies = Arc::new(
            browser_sessions(addr, &auth, plan.connections, plan.page_sessions, |i| {
                format!("c{i}")
            })
            .await?,
        );
        rows.push(
            measure(
                "4. portal /portal/subscriptions",
                pid,
                &load(u64::MAX, 200),
                page(cookies, "/portal/subscriptions", conns),
            )
            .await?,
        );
    }

    // 5. The invoices page of a customer with 10 invoices and of one with many (100,000).
    if plan.runs("invoices") {
        let many = format!(
            "5b. portal /portal/invoices, {} invoices",
            thousands(plan.many_invoices)
        );
        for (customer, label) in [
            ("few", "5a. portal /portal/invoices, 10 invoices"),
            ("many", many.as_str()),
        ] {
            let cookies = Arc::new(
                browser_sessions(addr, &auth, plan.connections, 64, |_| customer.to_owned())
                    .await?,
            );
            rows.push(
                measure(
                    label,
                    pid,
                    &load(u64::MAX, 200),
                    page(cookies, "/portal/invoices", conns),
                )
                .await?,
            );
        }
    }

    // 6. Issuance again with many (1,000,000) more portal sessions stored.
    if plan.runs("stored") {
        let t = Instant::now();
        let series = db.series(plan.stored_sessions);
        let id = db.id_body("ps", "n.i");
        db.exec(&format!(
            "INSERT INTO portal_sessions (id, account_id, customer_id, contact_id, scopes, return_url, \
             locale, page, issued_at, expires_at, revoked_at, issued_by) \
             SELECT {id}, t.account_id, t.customer_id, t.contact_id, t.scopes, t.return_url, t.locale, \
             t.page, t.issued_at, t.expires_at, t.revoked_at, t.issued_by \
             FROM (SELECT * FROM portal_sessions LIMIT 1) AS t, {series}"
        ))
        .await?;
        if let Db::Postgres(_) = db {
            db.exec("ANALYZE portal_sessions").await?;
        }
        eprintln!(
            "  {} portal sessions stored in {:.1} s",
            plan.stored_sessions,
            t.elapsed().as_secs_f64()
        );
        let label = format!(
            "6. REST issuance, {} more sessions stored",
            thousands(plan.stored_sessions)
        );
        rows.push(measure(&label, pid, &load(u64::MAX, 200), issue_rest).await?);
    }

    let stopped = server.stop().await;
    match db {
        Db::Sqlite(p) => p.close().await,
        Db::Postgres(p) => p.close().await,
    }
    stopped?;
    Ok(BackendReport {
        backend,
        bare: bare_row,
        rows,
        idle_kib,
    })
}

fn page(cookies: Arc<Vec<String>>, path: &'static str, conns: u64) -> MakeRequest {
    Arc::new(move |conn, seq| {
        let cookie = &cookies[(conn as u64 + seq * conns) as usize % cookies.len()];
        Some(request("GET", path, &[("Cookie", cookie)], None))
    })
}

/// Opens `count` browser sessions (portal token, then `/portal?token=`) for `customer(i)`.
async fn browser_sessions(
    addr: SocketAddr,
    auth: &str,
    connections: usize,
    count: usize,
    customer: impl Fn(usize) -> String + Send + Sync + 'static,
) -> Result<Vec<String>> {
    let auth = auth.to_owned();
    let issued = parallel(
        addr,
        connections,
        count,
        200,
        Arc::new(move |i| {
            let path = format!("/api/v1/customers/{}/portal-token", customer(i));
            request("POST", &path, &[("Authorization", &auth)], Some("null"))
        }),
    )
    .await?;
    let tokens: Vec<String> = issued
        .iter()
        .map(|r| Ok(r.json()?["token"].as_str().context("no token")?.to_owned()))
        .collect::<Result<_>>()?;
    let tokens = Arc::new(tokens);
    let opened = parallel(
        addr,
        connections,
        count,
        303,
        Arc::new(move |i| request("GET", &format!("/portal?token={}", tokens[i]), &[], None)),
    )
    .await?;
    opened.iter().map(cookie_of).collect()
}

/// Fresh signed links, one list per load connection, made for at most one run's duration.
async fn make_redirect_tokens(
    addr: SocketAddr,
    auth: &str,
    plan: &Plan,
) -> Result<Vec<Vec<String>>> {
    let deadline = Instant::now() + plan.duration;
    let mut tasks = Vec::new();
    for c in 0..plan.connections {
        let auth = auth.to_owned();
        let contacts = plan.contacts;
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::connect(addr).await?;
            let mut out = Vec::new();
            while Instant::now() < deadline && out.len() < 20_000 {
                let path = format!("/api/v1/shareabletokens/u{}", (c + out.len()) % contacts);
                let r = conn
                    .send(&request("GET", &path, &[("Authorization", &auth)], None))
                    .await?;
                if r.status != 200 {
                    bail!(
                        "signed link: {} {}",
                        r.status,
                        String::from_utf8_lossy(&r.body)
                    );
                }
                let url = r.json()?["url"].as_str().context("no url")?.to_owned();
                let token = url.rsplit('/').next().unwrap_or_default().to_owned();
                out.push(token);
            }
            Ok(out)
        }));
    }
    let mut lists = Vec::new();
    for task in tasks {
        lists.push(task.await??);
    }
    Ok(lists)
}

/// Customers c0..c9999 (c0 through the API, the rest SQL copies of it), a product, a plan and a
/// subscription each for the customers with browser sessions, contacts u0..u99, and the
/// customers `few` (10 invoices) and `many` (100,000: one through the API, the rest copies).
async fn seed(api: &mut Api, db: &Db, plan: &Plan) -> Result<()> {
    let t = Instant::now();
    api.call(
        "POST",
        "/api/v1/customers",
        Some(r#"{"alias":"c0","name":"Customer 0","email":"billing@c0.example","currency":"EUR"}"#),
        201,
    )
    .await?;
    let series = db.series(plan.customers - 1);
    let id = db.id_body("cus", "n.i");
    db.exec(&format!(
        "INSERT INTO customers (id, account_id, alias, name, email, currency, address, tax_id, \
         portal_enabled, metadata, created_at, updated_at, deleted_at) \
         SELECT {id}, t.account_id, 'c' || n.i, 'Customer ' || n.i, t.email, t.currency, t.address, \
         t.tax_id, t.portal_enabled, t.metadata, t.created_at, t.updated_at, NULL \
         FROM (SELECT * FROM customers WHERE alias = 'c0') AS t, {series}"
    ))
    .await?;

    let product = api
        .call(
            "POST",
            "/api/v1/products",
            Some(r#"{"name":"Pro","self_service":true}"#),
            201,
        )
        .await?
        .json()?;
    let product = product["id"].as_str().context("product id")?.to_owned();
    let plan_body = format!(
        r#"{{"product":"{product}","name":"Pro monthly","interval":"month","unit_amount":4900,"currency":"EUR"}}"#
    );
    let plan_json = api
        .call("POST", "/api/v1/plans", Some(&plan_body), 201)
        .await?
        .json()?;
    let plan_id = plan_json["id"].as_str().context("plan id")?.to_owned();
    let auth = api.auth.clone();
    let a = auth.clone();
    parallel(
        api.addr,
        plan.connections,
        plan.page_sessions,
        201,
        Arc::new(move |i| {
            let body = format!(r#"{{"customer":"c{i}","plan":"{plan_id}","quantity":3}}"#);
            request(
                "POST",
                "/api/v1/subscriptions",
                &[("Authorization", &a)],
                Some(&body),
            )
        }),
    )
    .await?;
    let a = auth.clone();
    parallel(api.addr, plan.connections, plan.contacts, 201, Arc::new(move |i| {
        let body = format!(r#"{{"customer":"c{i}","external_id":"u{i}","email":"u{i}@c{i}.example","name":"User {i}"}}"#);
        request("POST", "/api/v1/contacts", &[("Authorization", &a)], Some(&body))
    }))
    .await?;

    for alias in ["few", "many"] {
        let body = format!(r#"{{"alias":"{alias}","name":"Customer {alias}","currency":"EUR"}}"#);
        api.call("POST", "/api/v1/customers", Some(&body), 201)
            .await?;
    }
    let invoice = |customer: &str, i: usize| {
        format!(
            r#"{{"customer":"{customer}","status":"paid","lines":[{{"description":"Pro monthly, period {i}","quantity":3,"unit_amount":4900}}],"tax_rate_bps":1900}}"#
        )
    };
    let a = auth.clone();
    parallel(
        api.addr,
        1,
        10,
        201,
        Arc::new(move |i| {
            request(
                "POST",
                "/api/v1/invoices",
                &[("Authorization", &a)],
                Some(&invoice("few", i)),
            )
        }),
    )
    .await?;
    api.call("POST", "/api/v1/invoices", Some(&invoice("many", 0)), 201)
        .await?;
    let series = db.series(plan.many_invoices - 1);
    let id = db.id_body("inv", "n.i");
    db.exec(&format!(
        "INSERT INTO invoices (id, account_id, number, customer_id, subscription_id, status, \
         currency, lines, subtotal, tax_rate_bps, tax, total, amount_paid, amount_due, issued_at, \
         due_at, paid_at, metadata, created_at, updated_at) \
         SELECT {id}, t.account_id, 'BENCH-' || n.i, t.customer_id, t.subscription_id, t.status, \
         t.currency, t.lines, t.subtotal, t.tax_rate_bps, t.tax, t.total, t.amount_paid, \
         t.amount_due, t.issued_at - n.i * 1000, t.due_at, t.paid_at, t.metadata, \
         t.created_at - n.i * 1000, t.updated_at \
         FROM (SELECT i.* FROM invoices i JOIN customers c ON c.id = i.customer_id \
               WHERE c.alias = 'many') AS t, {series}"
    ))
    .await?;
    if let Db::Postgres(_) = db {
        db.exec("ANALYZE").await?;
    }
    eprintln!(
        "  seed: {} customers, {} invoices in {:.1} s",
        plan.customers + 2,
        plan.many_invoices + 10,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `1,000,000` for 1000000.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod thousands_tests {
    #[test]
    fn groups_of_three() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1_000), "1,000");
        assert_eq!(super::thousands(100_000), "100,000");
        assert_eq!(super::thousands(1_000_000), "1,000,000");
    }
}

#[cfg(test)]
mod cpu_tests {
    #[test]
    fn utime_and_stime_are_read_past_the_command_name() {
        // A command name with a space and a parenthesis; utime 1234, stime 56.
        let stat = "4242 (port (ico) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 1234 56 0 0 20 0 6 0";
        assert_eq!(super::parse_cpu_ticks(stat), Some(1290));
        assert_eq!(super::parse_cpu_ticks("4242 (x) S 1"), None);
        assert_eq!(super::parse_cpu_ticks("garbage"), None);
    }

    #[test]
    fn the_running_process_has_used_cpu_time() {
        // Spins until the kernel has counted a tick of it (on a busy machine that can take a
        // while of wall time), for at most 10 s.
        let me = std::process::id();
        let spin = std::time::Instant::now();
        let mut used = super::cpu_time(me);
        while used.is_some_and(|t| t.is_zero()) && spin.elapsed().as_secs() < 10 {
            std::hint::black_box((0..10_000u64).sum::<u64>());
            used = super::cpu_time(me);
        }
        assert!(used.is_some_and(|t| !t.is_zero()), "{used:?}");
    }

    #[test]
    fn only_names_known_scenarios() {
        assert_eq!(
            super::parse_only("issuance, exchange").map(|o| o.0),
            Ok(vec!["issuance", "exchange"])
        );
        assert!(super::parse_only("issuance,nonsense").is_err());
    }
}
