//! Makes the upgrade fixture with the release being checked: `scripts/upgrade-fixture` copies this
//! file and `records.rs` into that release's `portico-store` as an example and runs it once per
//! backend, as `make_fixture DATABASE_URL EXPECTED_FILE`. It migrates the empty database, makes
//! one of every record and writes what that release reads back to EXPECTED_FILE; the script then
//! dumps the database beside it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "records.rs"]
mod records;

use portico_store::{SqlStore, Store};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, expected] = &args[..] else {
        panic!("usage: make_fixture DATABASE_URL EXPECTED_FILE");
    };
    let store = SqlStore::connect(url).await.unwrap();
    store.migrate().await.unwrap();
    records::make_every_record(&store).await;
    let lines = records::read_everything(&store).await;
    std::fs::write(expected, lines.join("\n") + "\n").unwrap();
}
