//! A real browser for the web console's tests: Debian's headless Chromium driven through
//! chromedriver (WebDriver) with fantoccini.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

/// A chromedriver process and a browser session on it; both end when this is dropped, even when
/// the test panicked: chromedriver runs in a process group of its own, with the Chromium it starts,
/// and dropping kills the whole group (killing chromedriver alone leaves Chromium running).
pub struct Browser {
    pub client: Client,
    driver: Child,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

impl Browser {
    pub async fn start() -> Browser {
        Browser::start_sized(None).await
    }

    /// A browser the size of a phone (360×740 CSS pixels, as a mobile Chrome reports them).
    pub async fn phone() -> Browser {
        Browser::start_sized(Some((360, 740))).await
    }

    async fn start_sized(phone: Option<(u32, u32)>) -> Browser {
        let port = free_port();
        let driver = Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver runs (Debian package chromium-driver; .ci/run installs it)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut caps = serde_json::Map::new();
        let mut options = serde_json::json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--disable-dev-shm-usage", "--window-size=1360,1000", "--lang=en-US"]
        });
        if let Some((width, height)) = phone {
            options["mobileEmulation"] =
                serde_json::json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 2.0 } });
        }
        caps.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::rustls()
            .expect("TLS roots")
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a browser session");
        Browser { client, driver }
    }

    /// Signs in on the console's sign-in page.
    pub async fn sign_in(&self, base: &str, user: &str, password: &str) {
        self.client.goto(&format!("{base}/console/login")).await.expect("sign-in page");
        self.fill("input[name=username]", user).await;
        self.fill("input[name=password]", password).await;
        self.click("#sign-in").await;
    }

    /// Runs `act` (a click that navigates) and waits until the next page has loaded, so what is
    /// read afterwards is never the old page.
    async fn navigating(&self, act: impl std::future::Future<Output = ()>) {
        self.client.execute("document.documentElement.dataset.old = '1'", vec![]).await.expect("mark the page");
        act.await;
        let started = Instant::now();
        loop {
            let old = self
                .client
                .execute(
                    "return document.readyState === 'complete' ? (document.documentElement.dataset.old || '') : '1'",
                    vec![],
                )
                .await
                .map(|v| v.as_str() == Some("1"))
                .unwrap_or(true);
            if !old {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "the page did not change");
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        e.clear().await.expect("clear");
        e.send_keys(text).await.expect("type");
    }

    /// Sets a field's value directly: for inputs whose typing depends on the browser's locale
    /// (`type=date`).
    pub async fn set_value(&self, css: &str, value: &str) {
        self.client
            .execute(
                "const e = document.querySelector(arguments[0]); if (!e) { throw new Error(arguments[0]); } e.value = arguments[1];",
                vec![serde_json::json!(css), serde_json::json!(value)],
            )
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
    }

    /// Chooses `path` in a file input whose page reads the file into the field `into` (as the
    /// console's CSV inputs do), and waits until that field holds `expect`.
    pub async fn choose_file(&self, css: &str, path: &std::path::Path, into: &str, expect: &str) {
        let e = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        e.send_keys(&path.display().to_string()).await.expect("choose file");
        let started = Instant::now();
        while !self.value(into).await.contains(expect) {
            assert!(started.elapsed() < Duration::from_secs(10), "{} was not read into {into}", path.display());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Clicks a button or link that loads a page, and waits for that page.
    pub async fn click(&self, css: &str) {
        let e = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        self.navigating(async { e.click().await.expect("click") }).await;
    }

    /// Clicks a button that asks first (a `confirm()` dialog), says yes, and waits for the page
    /// it loads.
    pub async fn click_confirmed(&self, css: &str) {
        let e = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        self.navigating(async {
            e.click().await.expect("click");
            let started = Instant::now();
            while self.client.accept_alert().await.is_err() {
                assert!(started.elapsed() < Duration::from_secs(10), "{css} asked nothing");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
    }

    /// Waits until the page (which may be reloading itself, as a job's page does) has `css`.
    pub async fn wait_for(&self, css: &str) {
        let started = Instant::now();
        while self.client.find(Locator::Css(css)).await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(60), "{css} did not appear");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).text().await.expect("text")
    }

    /// A form field's current value (an input's or a textarea's).
    pub async fn value(&self, css: &str) -> String {
        let e = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        e.prop("value").await.expect("value").unwrap_or_default()
    }

    /// Clicks the link whose text is exactly `text`.
    pub async fn follow(&self, text: &str) {
        let e = self.client.find(Locator::LinkText(text)).await.unwrap_or_else(|e| panic!("link {text}: {e}"));
        self.navigating(async { e.click().await.expect("click") }).await;
    }

    pub async fn source(&self) -> String {
        self.client.source().await.expect("page source")
    }

    /// Ends the session, so chromedriver closes Chromium and reaps it, then stops chromedriver.
    pub async fn quit(self) {
        let _ = self.client.clone().close().await;
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.expect("url").path().to_owned()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
