//! A small W3C WebDriver client for browser tests: starts chromedriver with headless Debian
//! Chromium, drives pages, runs scripts, and keeps screenshots under `target/screenshots/`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_binary(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Browser options for one session.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    pub width: u32,
    pub height: u32,
    pub javascript: bool,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 900,
            javascript: true,
        }
    }
}

/// A headless Chromium session behind its own chromedriver process.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a browser. Fails (never skips) with an install hint when the
    /// binaries are missing.
    pub async fn start(options: BrowserOptions) -> Browser {
        let chromium = find_binary(&["chromium", "chromium-browser", "google-chrome"]).unwrap_or_else(|| {
            panic!("Chromium is needed for browser tests: apt-get install chromium chromium-driver (scripts/test does this)")
        });
        let driver_bin = find_binary(&["chromedriver"]).unwrap_or_else(|| {
            panic!("chromedriver is needed for browser tests: apt-get install chromium-driver (scripts/test does this)")
        });
        let port = free_port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--hide-scrollbars".to_owned(),
            format!("--window-size={},{}", options.width, options.height),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        args.push("--lang=en-US".to_owned());
        let mut chrome = json!({ "binary": chromium, "args": args });
        if !options.javascript {
            chrome["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let mut browser = Browser {
            http,
            base,
            driver,
            _profile: profile,
        };
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": chrome,
        }}});
        let session = browser.call("POST", "/session", Some(caps)).await;
        let id = session["sessionId"]
            .as_str()
            .expect("session id")
            .to_owned();
        browser.base = format!("{}/session/{id}", browser.base);
        browser
    }

    async fn call(&mut self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self
                .http
                .post(&url)
                .json(&body.unwrap_or_else(|| json!({}))),
        };
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("webdriver {method} {path}: {e}"));
        let status = resp.status();
        let value: Value = resp.json().await.expect("webdriver JSON");
        assert!(
            status.is_success(),
            "webdriver {method} {path} failed: {value}"
        );
        value.get("value").cloned().unwrap_or(value)
    }

    pub async fn goto(&mut self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url }))).await;
    }

    pub async fn current_url(&mut self) -> String {
        self.call("GET", "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn title(&mut self) -> String {
        self.call("GET", "/title", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn source(&mut self) -> String {
        self.call("GET", "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The visible text of the whole page.
    pub async fn text(&mut self) -> String {
        let body = self.find("body").await.expect("page has a body");
        self.element_text(&body).await
    }

    /// The first element matching a CSS selector, if any.
    pub async fn find(&mut self, css: &str) -> Option<String> {
        self.find_all(css).await.into_iter().next()
    }

    pub async fn find_all(&mut self, css: &str) -> Vec<String> {
        let found = self
            .call(
                "POST",
                "/elements",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        found
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT_KEY].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub async fn element_text(&mut self, element: &str) -> String {
        self.call("GET", &format!("/element/{element}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn click(&mut self, element: &str) {
        self.call(
            "POST",
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    pub async fn type_into(&mut self, element: &str, text: &str) {
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub async fn execute(&mut self, script: &str, args: Vec<Value>) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Runs an async script; it must call `arguments[arguments.length - 1](result)`.
    pub async fn execute_async(&mut self, script: &str, args: Vec<Value>) -> Value {
        self.call(
            "POST",
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    pub async fn set_script_timeout(&mut self, millis: u64) {
        self.call("POST", "/timeouts", Some(json!({ "script": millis })))
            .await;
    }

    pub async fn set_window_size(&mut self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .await;
    }

    /// Switches into an iframe element, or back to the top with `None`.
    pub async fn switch_to_frame(&mut self, element: Option<&str>) {
        let id = match element {
            Some(e) => json!({ ELEMENT_KEY: e }),
            None => Value::Null,
        };
        self.call("POST", "/frame", Some(json!({ "id": id }))).await;
    }

    pub async fn cookies(&mut self) -> Vec<Value> {
        self.call("GET", "/cookie", None)
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Saves a PNG of the viewport as `target/screenshots/{name}.png` and returns its path.
    pub async fn screenshot(&mut self, name: &str) -> PathBuf {
        let data = self.call("GET", "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .expect("screenshot is base64");
        let dir = crate::workspace_root().join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Waits until `css` matches, polling; panics after `timeout`.
    pub async fn wait_for(&mut self, css: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.find(css).await {
                return e;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {css}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn quit(mut self) {
        let _ = self.http.delete(&self.base).send().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
