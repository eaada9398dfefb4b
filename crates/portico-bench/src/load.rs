//! The load generator: N keep-alive connections, each a closed loop of request → full response,
//! bounded in time and in count, with every request's latency kept for exact percentiles.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::http::Conn;

/// Makes connection `conn`'s `seq`-th request; `None` ends that connection's loop.
pub type MakeRequest = Arc<dyn Fn(usize, u64) -> Option<Vec<u8>> + Send + Sync>;

/// One load run's outcome.
#[derive(Debug, Clone)]
pub struct Stats {
    pub requests: u64,
    /// Answers whose status was not the expected one.
    pub unexpected: u64,
    pub first_unexpected: Option<u16>,
    pub elapsed: Duration,
    /// Latencies in microseconds, sorted.
    pub latencies_us: Vec<u32>,
}

impl Stats {
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Milliseconds at percentile `p` (0..=100).
    pub fn percentile_ms(&self, p: f64) -> f64 {
        f64::from(percentile(&self.latencies_us, p)) / 1000.0
    }
}

/// Nearest-rank percentile of sorted values; 0 for no values.
pub fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[derive(Clone, Copy)]
pub struct Load {
    pub addr: SocketAddr,
    pub connections: usize,
    pub duration: Duration,
    pub max_requests: u64,
    pub expect_status: u16,
}

/// Runs the load; every connection is opened before the clock starts.
pub async fn run(load: &Load, make: MakeRequest) -> Result<Stats> {
    let mut conns = Vec::with_capacity(load.connections);
    for _ in 0..load.connections {
        conns.push(Conn::connect(load.addr).await?);
    }
    let per_conn_max = load.max_requests.div_ceil(load.connections as u64);
    let start = Instant::now();
    let deadline = start + load.duration;
    let mut tasks = Vec::with_capacity(load.connections);
    for (index, mut conn) in conns.into_iter().enumerate() {
        let make = make.clone();
        let expect = load.expect_status;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(64 * 1024);
            let mut unexpected = 0u64;
            let mut first_unexpected = None;
            let mut seq = 0u64;
            while seq < per_conn_max && Instant::now() < deadline {
                let Some(request) = make(index, seq) else {
                    break;
                };
                let sent = Instant::now();
                let response = conn.send(&request).await?;
                let took = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                latencies.push(took);
                if response.status != expect {
                    unexpected += 1;
                    first_unexpected.get_or_insert(response.status);
                }
                seq += 1;
            }
            anyhow::Ok((latencies, unexpected, first_unexpected))
        }));
    }
    let mut latencies_us = Vec::new();
    let mut unexpected = 0;
    let mut first_unexpected = None;
    for task in tasks {
        let (l, u, f) = task.await.context("load task")??;
        latencies_us.extend(l);
        unexpected += u;
        first_unexpected = first_unexpected.or(f);
    }
    let elapsed = start.elapsed();
    latencies_us.sort_unstable();
    Ok(Stats {
        requests: latencies_us.len() as u64,
        unexpected,
        first_unexpected,
        elapsed,
        latencies_us,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&values, 50.0), 50);
        assert_eq!(percentile(&values, 99.0), 99);
        assert_eq!(percentile(&values, 100.0), 100);
        assert_eq!(percentile(&values, 0.0), 1);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
        // With 1000 values p99 is the 990th, not the largest.
        let values: Vec<u32> = (1..=1000).collect();
        assert_eq!(percentile(&values, 99.0), 990);
    }
}
