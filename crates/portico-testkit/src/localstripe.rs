//! localstripe, a stateful fake of the Stripe API that also serves a stand-in for Stripe.js,
//! started once per test process on a free loopback port by `scripts/localstripe-serve.py`
//! (which says what it changes in the stock server). A missing localstripe is a test failure
//! that says how to install it, never a skip.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::workspace_root;

/// The version `scripts/test` installs.
pub const VERSION: &str = "1.15.10";

/// The running server. It stops when the test process ends (its standard input closes).
pub struct LocalStripe {
    /// `http://127.0.0.1:PORT`: the API under `/v1/`, Stripe.js under `/js.stripe.com/v3/`.
    pub url: String,
    _child: Mutex<Child>,
}

/// The Python of the virtual environment localstripe is installed in:
/// `PORTICO_LOCALSTRIPE_PYTHON`, else `target/localstripe/venv/bin/python`.
fn python() -> PathBuf {
    match std::env::var_os("PORTICO_LOCALSTRIPE_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => workspace_root().join("target/localstripe/venv/bin/python"),
    }
}

/// The process's localstripe, started on first use.
pub fn localstripe() -> &'static LocalStripe {
    static SERVER: OnceLock<LocalStripe> = OnceLock::new();
    SERVER.get_or_init(start)
}

fn start() -> LocalStripe {
    let python = python();
    if !python.is_file() {
        panic!(
            "localstripe {VERSION} is needed for the Stripe tests and {} is missing: run \
             scripts/test (it installs it), or python3 -m venv target/localstripe/venv && \
             target/localstripe/venv/bin/pip install localstripe=={VERSION}",
            python.display()
        );
    }
    let script = workspace_root().join("scripts/localstripe-serve.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {} {}: {e}", python.display(), script.display()));
    let stdout = child.stdout.take().expect("localstripe's output");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read localstripe's address");
    let url = line.trim().to_owned();
    if !url.starts_with("http://127.0.0.1:") {
        let status = child.wait().ok();
        panic!(
            "localstripe did not start (exit {status:?}); is localstripe=={VERSION} installed in {}?",
            python.display()
        );
    }
    wait_until_it_answers(&url);
    LocalStripe {
        url,
        _child: Mutex::new(child),
    }
}

/// Polls the Stripe.js stand-in until it is served (at most 20 seconds).
fn wait_until_it_answers(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let address = url.trim_start_matches("http://").to_owned();
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(&address) {
            use std::io::{Read, Write};
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let request = format!("GET /js.stripe.com/v3/ HTTP/1.0\r\nHost: {address}\r\n\r\n");
            let mut head = [0u8; 12];
            if s.write_all(request.as_bytes()).is_ok()
                && s.read_exact(&mut head).is_ok()
                && head.ends_with(b"200")
            {
                return;
            }
        }
        if Instant::now() > deadline {
            panic!("localstripe at {url} does not answer");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl LocalStripe {
    /// A fresh secret key: localstripe keeps one store for every key, so tests tell their
    /// objects apart by what they created, not by key.
    pub fn secret_key() -> String {
        format!("sk_test_{:016x}", rand::random::<u64>())
    }

    /// How many PaymentIntents localstripe holds whose metadata names `tag`.
    pub async fn payment_intents_tagged(&self, tag: &str) -> usize {
        let list: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/v1/payment_intents?limit=1000000", self.url))
            .basic_auth("sk_test_count", Some(""))
            .send()
            .await
            .expect("list PaymentIntents")
            .json()
            .await
            .expect("PaymentIntents as JSON");
        list["data"]
            .as_array()
            .expect("a list")
            .iter()
            .filter(|pi| {
                pi["metadata"]
                    .as_object()
                    .is_some_and(|m| m.values().any(|v| v == tag))
            })
            .count()
    }

    /// Posts a form as Stripe.js does in the browser: with the publishable key, no secret.
    pub async fn post_as_stripe_js(
        &self,
        public_key: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> serde_json::Value {
        let mut form = form.to_vec();
        form.push(("key", public_key));
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.url))
            .form(&form)
            .send()
            .await
            .expect("localstripe answers");
        response.json().await.expect("an answer in JSON")
    }

    /// What Stripe.js's `confirmCardSetup` does with the card a customer typed (and the
    /// customer's completing a challenge the card asks for); answers the SetupIntent's id.
    pub async fn confirm_setup(
        &self,
        public_key: &str,
        client_secret: &str,
        number: &str,
    ) -> String {
        let seti = client_secret
            .split("_secret_")
            .next()
            .unwrap_or_default()
            .to_owned();
        let path = format!("/v1/setup_intents/{seti}/confirm");
        let card = [
            ("client_secret", client_secret),
            ("payment_method_data[type]", "card"),
            ("payment_method_data[card][number]", number),
            ("payment_method_data[card][exp_month]", "12"),
            ("payment_method_data[card][exp_year]", "2030"),
            ("payment_method_data[card][cvc]", "123"),
        ];
        let mut answer = self.post_as_stripe_js(public_key, &path, &card).await;
        if answer["status"] == "requires_action" {
            let done = [("client_secret", client_secret)];
            answer = self.post_as_stripe_js(public_key, &path, &done).await;
        }
        assert_eq!(answer["status"], "succeeded", "{answer}");
        seti
    }

    /// What Stripe.js's `confirmCardPayment` does when the customer completes the step of the
    /// PaymentIntent whose client secret this is.
    pub async fn complete_payment_step(&self, public_key: &str, client_secret: &str) {
        let pi = client_secret.split("_secret_").next().unwrap_or_default();
        let path = format!("/v1/payment_intents/{pi}/_authenticate?success=true");
        let done = self
            .post_as_stripe_js(public_key, &path, &[("client_secret", client_secret)])
            .await;
        assert_eq!(done["status"], "succeeded", "{done}");
    }

    /// Has localstripe send every event, signed with `secret`, to `url`.
    pub async fn send_events_to(&self, url: &str, secret: &str) {
        let id = format!("{:016x}", rand::random::<u64>());
        let answer = reqwest::Client::new()
            .post(format!("{}/_config/webhooks/{id}", self.url))
            .form(&[("url", url), ("secret", secret)])
            .send()
            .await
            .expect("localstripe answers");
        assert!(answer.status().is_success(), "{}", answer.status());
    }
}
