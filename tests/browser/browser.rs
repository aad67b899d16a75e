//! A real browser with JavaScript off, driven through WebDriver the way a person uses the pages: it opens
//! addresses, types into fields, picks options, presses buttons and reads what the page shows. Every page
//! it lands on is photographed under `target/e2e/<browser>/`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::harness::find_program;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Chromium,
    Firefox,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Chromium => "chromium",
            Kind::Firefox => "firefox",
        }
    }

    /// The browser binary and its WebDriver server, or what is missing.
    pub fn programs(self) -> Result<(PathBuf, PathBuf)> {
        let (browser, driver) = match self {
            Kind::Chromium => ("chromium", "chromedriver"),
            Kind::Firefox => ("firefox-esr", "geckodriver"),
        };
        let browser_path =
            find_program(browser).or_else(|| (self == Kind::Firefox).then(|| find_program("firefox")).flatten());
        match (browser_path, find_program(driver)) {
            (Some(b), Some(d)) => Ok((b, d)),
            (None, _) => Err(format!("{browser} not found")),
            (_, None) => Err(format!("{driver} not found")),
        }
    }

    /// WebDriver capabilities: headless, a fresh profile, JavaScript disabled by preference, and every
    /// request (loopback included) sent through the recording proxy.
    pub fn capabilities(
        self,
        binary: &std::path::Path,
        proxy_port: u16,
        profile: &std::path::Path,
        lang: &str,
    ) -> Value {
        match self {
            Kind::Chromium => json!({
                "browserName": "chrome",
                "goog:loggingPrefs": { "performance": "ALL" },
                "goog:chromeOptions": {
                    "binary": binary,
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                        "--disable-dev-shm-usage", "--window-size=1280,1400",
                        // Chromium's own background services (sign-in, autofill and password checks, hints,
                        // network time, updates, search-engine preconnection): off, so that what reaches the
                        // proxy is what the pages ask for.
                        "--disable-extensions", "--disable-default-apps", "--disable-domain-reliability",
                        "--disable-client-side-phishing-detection", "--disable-breakpad", "--no-pings",
                        "--no-default-browser-check", "--disable-search-engine-choice-screen",
                        "--disable-features=OptimizationGuideModelDownloading,OptimizationHintsFetching,\
                         OptimizationTargetPrediction,OptimizationHints,AutofillServerCommunication,\
                         PasswordLeakDetection,NetworkTimeServiceQuerying,MediaRouter,DialMediaRouteProvider,\
                         Translate,CertificateTransparencyComponentUpdater,PreconnectToSearch,\
                         SafeBrowsingRealTimeUrlLookupEnabled,SearchEnginePreconnect2,SearchEnginePreconnector",
                        "--allow-browser-signin=false",
                        format!("--user-data-dir={}", profile.display()),
                        format!("--proxy-server=http://127.0.0.1:{proxy_port}"),
                        // Chromium never proxies loopback unless told to: `<-loopback>` removes that rule.
                        "--proxy-bypass-list=<-loopback>",
                        format!("--lang={lang}"),
                    ],
                    // Every request a page makes, for the count of what leaves the page.
                    "perfLoggingPrefs": { "enableNetwork": true, "enablePage": false },
                    "prefs": {
                        "webkit.webprefs.javascript_enabled": false,
                        "profile.default_content_setting_values.javascript": 2,
                        "intl.accept_languages": lang,
                        "signin.allowed": false,
                        "credentials_enable_service": false,
                        "profile.password_manager_enabled": false,
                        "profile.password_manager_leak_detection": false,
                        "autofill.profile_enabled": false,
                        "autofill.credit_card_enabled": false,
                        "search.suggest_enabled": false,
                        "safebrowsing.enabled": false,
                        "translate.enabled": false,
                        "net.network_prediction_options": 2,
                    }
                }
            }),
            Kind::Firefox => json!({
                "browserName": "firefox",
                "moz:firefoxOptions": {
                    "binary": binary,
                    "args": ["-headless", "-width", "1280", "-height", "1400", "-profile", profile],
                    "prefs": {
                        "javascript.enabled": false,
                        "intl.accept_languages": lang,
                        "network.proxy.type": 1,
                        "network.proxy.http": "127.0.0.1",
                        "network.proxy.http_port": proxy_port,
                        "network.proxy.ssl": "127.0.0.1",
                        "network.proxy.ssl_port": proxy_port,
                        "network.proxy.no_proxies_on": "",
                        "network.proxy.allow_hijacking_localhost": true,
                        // Firefox's own background traffic (portal and connectivity checks, updates, remote
                        // settings, telemetry): off, so that what reaches the proxy is what the pages ask for.
                        "network.captive-portal-service.enabled": false,
                        "network.connectivity-service.enabled": false,
                        "network.dns.disablePrefetch": true,
                        "network.prefetch-next": false,
                        "browser.safebrowsing.malware.enabled": false,
                        "browser.safebrowsing.phishing.enabled": false,
                        "browser.safebrowsing.downloads.enabled": false,
                        "browser.newtabpage.enabled": false,
                        "browser.startup.homepage_override.mstone": "ignore",
                        "app.update.enabled": false,
                        "app.normandy.enabled": false,
                        "datareporting.policy.dataSubmissionEnabled": false,
                        "toolkit.telemetry.enabled": false,
                        "extensions.update.enabled": false,
                        "extensions.getAddons.cache.enabled": false,
                        // What Marionette itself sets for tests: remote settings from nowhere.
                        "services.settings.server": "data:,#remote-settings-dummy/v1",
                        "services.settings.poll_interval": 999999999,
                        "browser.aboutConfig.showWarning": false,
                        "browser.shell.checkDefaultBrowser": false,
                        "browser.startup.page": 0,
                        "browser.contentblocking.report.lockwise.enabled": false,
                        "security.remote_settings.crlite_filters.enabled": false,
                        "security.remote_settings.intermediates.enabled": false,
                        "security.OCSP.enabled": 0,
                        "network.trr.mode": 5,
                        "browser.ping-centre.telemetry": false,
                        "messaging-system.rsexperimentloader.enabled": false,
                        "extensions.blocklist.enabled": false,
                        "browser.topsites.contile.enabled": false,
                        "browser.urlbar.suggest.quicksuggest.sponsored": false,
                        "browser.urlbar.quicksuggest.enabled": false,
                        "privacy.query_stripping.enabled": false,
                        "browser.region.network.url": "",
                        "browser.search.update": false,
                    }
                }
            }),
        }
    }
}

/// What all the browsers of one run have written and seen.
#[derive(Default)]
pub struct Counters {
    pub pages: AtomicUsize,
}

/// Where a window's screenshots go: `dir/<prefix>-<n>-<page>.png`.
pub struct Shots {
    pub dir: PathBuf,
    pub prefix: &'static str,
    pub counters: Arc<Counters>,
}

/// One browser window, with the person's language.
pub struct Browser {
    pub client: Client,
    pub kind: Kind,
    pub base: String,
    /// "" in Vietnamese (the default), "?lang=en" in English.
    pub lang: &'static str,
    shots: Shots,
    taken: usize,
}

pub type Result<T = ()> = std::result::Result<T, String>;

fn fail(what: impl std::fmt::Display) -> impl FnOnce(fantoccini::error::CmdError) -> String {
    move |e| format!("{what}: {e}")
}

impl Browser {
    pub async fn open(
        kind: Kind,
        driver_url: &str,
        caps: Value,
        base: String,
        lang: &'static str,
        shots: Shots,
    ) -> Result<Browser> {
        let caps = match caps {
            Value::Object(map) => map,
            _ => return Err("capabilities are an object".into()),
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(driver_url)
            .await
            .map_err(|e| format!("{} session: {e}", kind.name()))?;
        std::fs::create_dir_all(&shots.dir).map_err(|e| e.to_string())?;
        Ok(Browser {
            client,
            kind,
            base,
            lang,
            shots,
            taken: 0,
        })
    }

    /// The language query to append to an address that has none.
    pub fn q(&self) -> &'static str {
        self.lang
    }

    /// Opens an address of the app (a path) or of anywhere else (a full URL).
    pub async fn goto(&mut self, path: &str, name: &str) -> Result {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        self.client.goto(&url).await.map_err(fail(format!("open {url}")))?;
        self.landed(name).await
    }

    /// Waits until a page of the app is shown as its person sees it: its header styled by the stylesheet.
    /// Key presses do not wait for the page they submit to load, and a screenshot could catch it half-way.
    async fn settled(&self) -> Result {
        let here = self.here().await;
        // Pages of the app only: not another site's, nor the test's own page served under the app's origin.
        if !here.starts_with(&self.base) || here.contains("/__same-origin/") {
            return Ok(());
        }
        for _ in 0..100 {
            if let Ok(header) = self.client.find(Locator::Css("header.site")).await {
                let colour = header.css_value("background-color").await.unwrap_or_default();
                if !colour.is_empty() && colour != "rgba(0, 0, 0, 0)" && colour != "transparent" {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "{}: {} is not styled after 10 s: the stylesheet did not load",
            self.kind.name(),
            self.here().await
        ))
    }

    /// Waits (10 s at most) for an element of the page a key press leads to.
    pub async fn wait_for(&self, css: &str) -> Result {
        for _ in 0..100 {
            if self.client.find(Locator::Css(css)).await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "{}: no {css} on {} after 10 s",
            self.kind.name(),
            self.here().await
        ))
    }

    /// Counts the page the browser is on and photographs it.
    pub async fn landed(&mut self, name: &str) -> Result {
        self.settled().await?;
        self.shots.counters.pages.fetch_add(1, Ordering::SeqCst);
        self.taken += 1;
        // Firefox now and then cannot capture a page still painting on a loaded machine: try again.
        let mut png = self.client.screenshot().await;
        for _ in 0..5 {
            if png.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            png = self.client.screenshot().await;
        }
        let png = png.map_err(fail(format!("screenshot of {name}")))?;
        let file = self
            .shots
            .dir
            .join(format!("{}-{:03}-{name}.png", self.shots.prefix, self.taken));
        std::fs::write(&file, png).map_err(|e| format!("{}: {e}", file.display()))
    }

    pub async fn find(&self, css: &str) -> Result<fantoccini::elements::Element> {
        self.client
            .find(Locator::Css(css))
            .await
            .map_err(fail(format!("find {css} on {}", self.here().await)))
    }

    pub async fn here(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    /// Types `text` into a field, after clearing what it held.
    pub async fn fill(&self, css: &str, text: &str) -> Result {
        let field = self.find(css).await?;
        field.clear().await.map_err(fail(format!("clear {css}")))?;
        field.send_keys(text).await.map_err(fail(format!("type into {css}")))
    }

    /// Picks the option whose value is `value` in a select.
    pub async fn pick(&self, css: &str, value: &str) -> Result {
        self.find(&format!("{css} option[value=\"{value}\"]"))
            .await?
            .click()
            .await
            .map_err(fail(format!("pick {value} in {css}")))
    }

    /// Presses a button (or follows a link) and photographs where it leads.
    pub async fn press(&mut self, css: &str, name: &str) -> Result {
        self.find(css)
            .await?
            .click()
            .await
            .map_err(fail(format!("press {css}")))?;
        self.landed(name).await
    }

    /// The text the page shows.
    pub async fn text(&self) -> Result<String> {
        self.find("body").await?.text().await.map_err(fail("read the page"))
    }

    pub async fn expect(&self, wanted: &str) -> Result {
        let text = self.text().await?;
        if text.contains(wanted) {
            Ok(())
        } else {
            Err(format!(
                "{}: expected {wanted:?} on {}; the page shows:\n{}",
                self.kind.name(),
                self.here().await,
                text.chars().take(1500).collect::<String>()
            ))
        }
    }

    pub async fn expect_not(&self, unwanted: &str) -> Result {
        let text = self.text().await?;
        match text.contains(unwanted) {
            false => Ok(()),
            true => Err(format!(
                "{}: {unwanted:?} shown on {}",
                self.kind.name(),
                self.here().await
            )),
        }
    }

    /// The size (width, height in CSS pixels) at which the browser drew the first element `css` matches.
    pub async fn drawn_size(&self, css: &str) -> Result<(f64, f64)> {
        let (_, _, width, height) = self
            .find(css)
            .await?
            .rectangle()
            .await
            .map_err(fail(format!("measure {css}")))?;
        Ok((width, height))
    }

    pub async fn attr(&self, css: &str, name: &str) -> Result<String> {
        self.find(css)
            .await?
            .attr(name)
            .await
            .map_err(fail(format!("read {name} of {css}")))?
            .ok_or_else(|| format!("{css} has no {name}"))
    }

    /// Presses keys on whatever has the focus, as a keyboard would: WebDriver key actions, which (unlike
    /// typing into an element) do not move the focus first.
    pub async fn keys(&self, keys: &str) -> Result {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let mut actions = KeyActions::new("keyboard".into());
        for value in keys.chars() {
            actions = actions.then(KeyAction::Down { value }).then(KeyAction::Up { value });
        }
        self.client.perform_actions(actions).await.map_err(fail("press keys"))?;
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(())
    }

    /// What has the focus, to follow the keyboard's path through a page: an element's `id`, `button` for
    /// a button, `href:` and a link's path (without the language query).
    pub async fn focused(&self) -> Result<String> {
        let focused = self
            .client
            .active_element()
            .await
            .map_err(fail("the focused element"))?;
        if let Some(id) = focused
            .attr("id")
            .await
            .map_err(fail("focused id"))?
            .filter(|i| !i.is_empty())
        {
            return Ok(id);
        }
        let tag = focused
            .tag_name()
            .await
            .map_err(fail("focused tag"))?
            .to_ascii_lowercase();
        if tag == "button" {
            return Ok(tag);
        }
        let href = focused
            .attr("href")
            .await
            .map_err(fail("focused href"))?
            .unwrap_or_default();
        Ok(format!("href:{}", href.split('?').next().unwrap_or_default()))
    }

    /// The addresses of every request the pages of this window made, from Chromium's performance log
    /// (read once: the log empties as it is read). `None` for Firefox, which keeps no such log.
    pub async fn page_requests(&self) -> Result<Option<Vec<String>>> {
        if self.kind != Kind::Chromium {
            return Ok(None);
        }
        let answer = self
            .client
            .issue_cmd(PerformanceLog)
            .await
            .map_err(fail("read the performance log"))?;
        let urls = answer
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|entry| entry["message"].as_str())
            .filter_map(|m| serde_json::from_str::<Value>(m).ok())
            .filter(|m| m["message"]["method"] == "Network.requestWillBeSent")
            .filter_map(|m| m["message"]["params"]["request"]["url"].as_str().map(str::to_owned))
            .collect();
        Ok(Some(urls))
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// chromedriver's log endpoint (not in the W3C protocol, so not in fantoccini).
#[derive(Debug)]
struct PerformanceLog;

impl fantoccini::wd::WebDriverCompatibleCommand for PerformanceLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> std::result::Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "type": "performance" }).to_string()))
    }
}
