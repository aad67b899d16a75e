//! The journeys, each as its people make it: a citizen in one browser window, staff in another, both
//! real browsers with JavaScript off, on the real server. A journey asserts on what the person sees.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use totp_rs::TOTP;

use crate::browser::{Browser, Counters, Kind, Result, Shots};
use crate::harness::{cli, App, Attacker, Driver, Proxy, Route, Seen};
use crate::text::tr;

pub const PASSWORD: &str = "mật khẩu đủ dài 2026";
const UNIT: &str = "xa-thu-nghiem";
const TEAM: &str = "to-thu-nghiem";

/// The journeys in the order they run (each needs what the ones before it made).
pub const JOURNEYS: [&str; 8] = [
    "1 reporter",
    "2 first admin",
    "3 inspector",
    "4 supervisor",
    "5 officer",
    "6 sign-out and idle expiry",
    "7 keyboard only",
    "8 retention",
];

/// The file the reporter attaches to their first reply (plain text: its name is kept as it is).
const REPLY_FILE: &str = "ghi-chep.txt";

/// The name of the reporter's evidence photo, as stored (a PNG whose text chunk names its author).
const EVIDENCE_NAME: &str = "bien-lai.png";

/// Writes the evidence photo where the browser can pick it: a PNG made here, with a `tEXt` chunk naming an
/// author, which the server must strip.
fn evidence_photo() -> Result<PathBuf> {
    let pixels = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([(x * 6) as u8, (y * 8) as u8, 90]));
    let mut encoded = std::io::Cursor::new(Vec::new());
    pixels
        .write_to(&mut encoded, image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    let mut png = img_parts::png::Png::from_bytes(encoded.into_inner().into()).map_err(|e| e.to_string())?;
    let text = img_parts::Bytes::from_static(b"Author\0Nguyen Van Canary");
    let at = png.chunks().len() - 1;
    png.chunks_mut()
        .insert(at, img_parts::png::PngChunk::new(*b"tEXt", text));
    let dir = std::env::temp_dir().join(format!("minhbach-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join(EVIDENCE_NAME);
    std::fs::write(&path, png.encoder().bytes()).map_err(|e| e.to_string())?;
    Ok(path)
}

/// What one browser's run found.
pub struct Outcome {
    pub kind: Kind,
    pub passed: Vec<&'static str>,
    pub failure: Option<String>,
    pub pages: usize,
    pub screenshots: usize,
    /// Every request the browser made, as the proxy saw it, and those to any other host.
    pub requests: Vec<Seen>,
    pub foreign: Vec<Seen>,
    /// Chromium only: every request the pages made, from the performance log, and the foreign ones.
    pub page_requests: Option<Vec<String>>,
    pub page_foreign: Vec<String>,
    /// Form posts to the app, and how many of them named the app's own origin in `Origin`.
    pub posts: usize,
    pub posts_own_origin: usize,
    pub cross_site_attempts: usize,
    pub cross_site_changes: usize,
    pub control_changes: usize,
}

/// A staff member as the test knows them: the password they chose and the authenticator they enrolled.
struct Account {
    totp: TOTP,
    last_step: u64,
}

impl Account {
    fn enrolled(uri: &str) -> Result<Account> {
        let totp = TOTP::from_url_unchecked(uri.trim()).map_err(|e| format!("otpauth address {uri:?}: {e}"))?;
        Ok(Account { totp, last_step: 0 })
    }

    /// A code the server has not accepted yet, as an authenticator app shows it now or showed it a moment
    /// ago (each step signs in once; the server accepts the current step and the previous one, not the
    /// next), waiting for the next step when both are used.
    async fn next_code(&mut self) -> String {
        loop {
            let now = now_seconds();
            let current = now / 30;
            // The previous step's code only while at least 10 s of the current step remain: it must still
            // be the previous step when the browser, typing, gets the form to the server.
            let previous = current.saturating_sub(1);
            let step = if previous > self.last_step && 30 - now % 30 >= 10 {
                previous
            } else {
                current.max(self.last_step + 1)
            };
            if step <= current {
                self.last_step = step;
                return self.totp.generate(step * 30);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The policy the journeys' server runs: the vn-2018 preset, except that a report not accepted for handling
/// is kept 0 months after closing, so that journey 8 meets its erasure on the day it closes the case.
fn journey_policy() -> Result<PathBuf> {
    let preset = include_str!("../../policies/vn-2018.toml");
    let text = preset
        .replacen("version = \"1.1.0\"", "version = \"1.1.0-browser-journeys\"", 1)
        .replacen(
            "[retention.outcomes.rejected]\nmonths = 24\nrule = \"Mặc định: 2 năm sau khi kết thúc, tin báo không thụ lý\"",
            "[retention.outcomes.rejected]\nmonths = 0\nrule = \"Thử nghiệm: xóa ngay khi kết thúc\"",
            1,
        );
    if !text.contains("[retention.outcomes.rejected]\nmonths = 0") || !text.contains("browser-journeys") {
        return Err("the vn-2018 preset changed: the journeys' policy could not be made from it".into());
    }
    let path = std::env::temp_dir().join(format!("minhbach-journeys-policy-{}.toml", std::process::id()));
    std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(path)
}

/// A day as the pages write it in `lang` (`web::pages::date`): 02/12/2026 or 2 Dec 2026.
fn page_date(lang: &str, day: time::Date) -> String {
    match lang {
        "vi" => format!("{:02}/{:02}/{}", day.day(), u8::from(day.month()), day.year()),
        _ => format!("{} {} {}", day.day(), &day.month().to_string()[..3], day.year()),
    }
}

/// Everything a run shares between journeys.
struct Run {
    app: App,
    /// The policy file `app` runs (`journey_policy`), for the operator's commands of journey 8.
    policy: PathBuf,
    /// A second server whose staff sessions end after 3 idle seconds.
    idle: App,
    attacker: Attacker,
    proxy: Proxy,
    citizen: Browser,
    staff: Browser,
    /// The person's language and the other one.
    lang: &'static str,
    other: &'static str,
    accounts: HashMap<String, Account>,
    /// The reports the citizen filed: their codes, as shown.
    codes: Vec<String>,
    /// The inspector who holds the first report.
    holder: String,
    /// Journey 1 ends when the reporter has answered the inspector's request for information.
    reporter_done: bool,
    cross_attempts: usize,
    cross_changes: usize,
    control_changes: usize,
}

fn shots_dir(kind: Kind) -> PathBuf {
    // target/<profile>/minhbach → target/e2e/<browser>
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_minhbach"));
    let target = bin
        .parent()
        .and_then(|p| p.parent())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("e2e").join(kind.name())
}

pub async fn run(kind: Kind, browser: PathBuf, driver: PathBuf) -> Outcome {
    let counters = Arc::new(Counters::default());
    let shots = shots_dir(kind);
    let _ = std::fs::remove_dir_all(&shots);
    let mut outcome = Outcome {
        kind,
        passed: vec![],
        failure: None,
        pages: 0,
        screenshots: 0,
        requests: vec![],
        foreign: vec![],
        page_requests: None,
        page_foreign: vec![],
        posts: 0,
        posts_own_origin: 0,
        cross_site_attempts: 0,
        cross_site_changes: 0,
        control_changes: 0,
    };
    let policy = match journey_policy() {
        Ok(path) => path,
        Err(e) => {
            outcome.failure = Some(e);
            return outcome;
        }
    };
    let app = App::start(&[("MINHBACH_POLICY_FILE", &policy.display().to_string())]).await;
    let idle = App::start(&[("MINHBACH_SESSION_IDLE_SECONDS", "3")]).await;
    let attacker = Attacker::start();
    let proxy = Proxy::start(vec![
        Route {
            host: app.host(),
            prefix: "/__same-origin/",
            port: attacker.port,
        },
        Route {
            host: app.host(),
            prefix: "/",
            port: app.port,
        },
        Route {
            host: idle.host(),
            prefix: "/",
            port: idle.port,
        },
        Route {
            host: attacker.host(),
            prefix: "/",
            port: attacker.port,
        },
    ]);
    // Chromium in Vietnamese, Firefox in English; every journey also reads a page in the other language.
    let (lang, other, q) = match kind {
        Kind::Chromium => ("vi", "en", ""),
        Kind::Firefox => ("en", "vi", "?lang=en"),
    };
    // geckodriver drives one browser at a time: one driver per window.
    // Firefox release builds honour the remote-settings server set in the profile only with this set.
    let env = [("MOZ_REMOTE_SETTINGS_DEVTOOLS", "1")];
    let drivers = [
        Driver::start(&driver, "--port=", &env),
        Driver::start(&driver, "--port=", &env),
    ];
    let profiles = [
        tempfile::tempdir().expect("profile"),
        tempfile::tempdir().expect("profile"),
    ];
    let open = |i: usize, prefix: &'static str| {
        let caps = kind.capabilities(&browser, proxy.port, profiles[i].path(), lang);
        let shots = Shots {
            dir: shots.clone(),
            prefix,
            counters: counters.clone(),
        };
        Browser::open(kind, &drivers[i].url, caps, app.origin(), q, shots)
    };
    let (citizen, staff) = match (open(0, "citizen").await, open(1, "staff").await) {
        (Ok(c), Ok(s)) => (c, s),
        (Err(e), _) | (_, Err(e)) => {
            outcome.failure = Some(e);
            return outcome;
        }
    };
    let mut run = Run {
        app,
        policy,
        idle,
        attacker,
        proxy,
        citizen,
        staff,
        lang,
        other,
        accounts: HashMap::new(),
        codes: vec![],
        holder: String::new(),
        reporter_done: false,
        cross_attempts: 0,
        cross_changes: 0,
        control_changes: 0,
    };
    let result = run.all(&mut outcome).await;
    outcome.cross_site_attempts = run.cross_attempts;
    outcome.cross_site_changes = run.cross_changes;
    outcome.control_changes = run.control_changes;
    if let Err(e) = result {
        outcome.failure = Some(e);
    }
    let allowed = [run.app.host(), run.idle.host(), run.attacker.host()];
    match (run.citizen.page_requests().await, run.staff.page_requests().await) {
        (Ok(Some(mut a)), Ok(Some(b))) => {
            a.extend(b);
            // Only network requests: `about:srcdoc` and `data:` documents are made in the browser.
            a.retain(|u| u.starts_with("http://") || u.starts_with("https://"));
            outcome.page_foreign = a
                .iter()
                .filter(|u| {
                    let host = u
                        .split("://")
                        .nth(1)
                        .and_then(|r| r.split('/').next())
                        .unwrap_or_default();
                    !allowed.iter().any(|h| h == host)
                })
                .cloned()
                .collect();
            outcome.page_requests = Some(a);
        }
        (Err(e), _) | (_, Err(e)) => outcome.failure = outcome.failure.take().or(Some(e)),
        _ => {}
    }
    run.citizen.close().await;
    run.staff.close().await;
    outcome.pages = counters.pages.load(std::sync::atomic::Ordering::SeqCst);
    outcome.screenshots = std::fs::read_dir(&shots)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
                .filter(|e| e.metadata().is_ok_and(|m| m.len() > 0))
                .count()
        })
        .unwrap_or(0);
    outcome.requests = run.proxy.requests();
    let own = [run.app.origin(), run.idle.origin()];
    let hosts = [run.app.host(), run.idle.host()];
    let posts: Vec<&Seen> = outcome
        .requests
        .iter()
        .filter(|s| s.method == "POST" && hosts.contains(&s.host))
        .collect();
    outcome.posts = posts.len();
    outcome.posts_own_origin = posts
        .iter()
        .filter(|s| s.origin.as_ref().is_some_and(|o| own.contains(o)))
        .count();
    outcome.foreign = outcome
        .requests
        .iter()
        .filter(|s| !allowed.contains(&s.host))
        .cloned()
        .collect();
    outcome
}

/// Counts that any successful state-changing request would move.
async fn state(app: &App) -> Vec<i64> {
    use sqlx::Row;
    let pool = app.pool().await;
    let mut counts = vec![];
    for query in [
        "SELECT COUNT(*) AS n FROM sessions",
        "SELECT COUNT(*) AS n FROM users",
        "SELECT COUNT(*) AS n FROM ledger",
        "SELECT COUNT(*) AS n FROM reports WHERE status = 'accepted'",
    ] {
        let row = sqlx::query(query).fetch_one(&pool).await.expect("count");
        counts.push(row.get::<i64, _>("n"));
    }
    pool.close().await;
    counts
}

fn changed(before: &[i64], after: &[i64]) -> usize {
    before.iter().zip(after).filter(|(a, b)| a != b).count()
}

impl Run {
    async fn all(&mut self, outcome: &mut Outcome) -> Result {
        self.javascript_is_off().await?;
        self.first_admin().await?;
        outcome.passed.push(JOURNEYS[1]);
        self.reporter_files().await?;
        self.inspector().await?;
        if self.reporter_done {
            outcome.passed.push(JOURNEYS[0]);
        }
        outcome.passed.push(JOURNEYS[2]);
        self.supervisor().await?;
        self.profile().await?;
        outcome.passed.push(JOURNEYS[3]);
        self.officer().await?;
        outcome.passed.push(JOURNEYS[4]);
        self.cross_site().await?;
        self.sign_out_and_idle().await?;
        outcome.passed.push(JOURNEYS[5]);
        self.keyboard_only().await?;
        outcome.passed.push(JOURNEYS[6]);
        self.retention().await?;
        outcome.passed.push(JOURNEYS[7]);
        outcome.passed.sort();
        Ok(())
    }

    /// A page of the attacker's site that shows whether scripts run: the control that JavaScript is off.
    async fn javascript_is_off(&mut self) -> Result {
        let page = self.attacker.serve(
            "/js",
            "<!DOCTYPE html><title>js</title><p id=s>scripts do not run</p>\
             <script>document.getElementById('s').textContent='scripts run'</script>"
                .to_owned(),
        );
        for b in [&mut self.citizen, &mut self.staff] {
            b.goto(&page, "javascript-off-control").await?;
            b.expect("scripts do not run").await?;
            b.expect_not("scripts run").await?;
        }
        Ok(())
    }

    /// The person switches the page to the other language with its own link, reads it, and switches back.
    async fn other_language(&mut self, who: Who, key: &str, name: &str) -> Result {
        let (other, lang) = (self.other, self.lang);
        let b = self.browser(who);
        let path = |url: String| url.split('?').next().unwrap_or_default().to_owned();
        let here = path(b.here().await);
        b.press("a.lang", &format!("{name}-{other}")).await?;
        b.expect(&tr(other, key)).await?;
        b.press("a.lang", &format!("{name}-{lang}")).await?;
        b.expect(&tr(lang, key)).await?;
        // The link keeps the person on the page they were reading.
        match path(b.here().await) {
            there if there == here => Ok(()),
            there => Err(format!("the language link led from {here} to {there}")),
        }
    }

    fn browser(&mut self, who: Who) -> &mut Browser {
        match who {
            Who::Citizen => &mut self.citizen,
            Who::Staff => &mut self.staff,
        }
    }

    async fn sign_in(&mut self, username: &str) -> Result {
        let code = self
            .accounts
            .get_mut(username)
            .ok_or_else(|| format!("no account {username}"))?
            .next_code()
            .await;
        let b = &mut self.staff;
        fill_sign_in(b, username, &code, &format!("sign-in-{username}")).await?;
        // The header names who is signed in.
        b.expect(username).await
    }

    async fn sign_out(&mut self, name: &str) -> Result {
        // From a page that has no sign-out button (another site's, an error page), through the queue, or
        // the admin page for an admin (who has no queue).
        let button = "form[action^='/inspector/sign-out'] button";
        let q = self.staff.q();
        for page in ["/inspector", "/admin"] {
            let on_app = self.staff.here().await.starts_with(&self.app.origin());
            if on_app && self.staff.client.find(fantoccini::Locator::Css(button)).await.is_ok() {
                break;
            }
            self.staff
                .goto(&format!("{page}{q}"), page.trim_start_matches('/'))
                .await?;
        }
        self.staff
            .press("form[action^='/inspector/sign-out'] button", name)
            .await?;
        self.staff.expect(&tr(self.lang, "sign-in-title")).await
    }

    /// Journey 2: the setup code from the server's output, a password, the TOTP enrolment read from the
    /// page, sign-in, then the organisation: a unit, a team, a rule and the staff.
    async fn first_admin(&mut self) -> Result {
        let code = self.app.setup_code.clone().ok_or("the server printed no setup code")?;
        let q = self.staff.q();
        let b = &mut self.staff;
        b.goto(&format!("/admin/setup{q}"), "setup").await?;
        b.expect(&tr(self.lang, "setup-title")).await?;
        // A wrong code first: refused, and the right one still works after.
        b.fill("#code", "AAAA-AAAA-AAAA-AAAA-AAAA").await?;
        b.fill("#username", "quantri.hoa").await?;
        b.fill("#password", PASSWORD).await?;
        b.press("form[action^='/admin/setup'] button", "setup-wrong-code")
            .await?;
        b.expect(&tr(self.lang, "error-setup-code")).await?;
        b.fill("#code", &code.to_lowercase()).await?;
        b.fill("#username", "quantri.hoa").await?;
        b.fill("#password", PASSWORD).await?;
        b.press("form[action^='/admin/setup'] button", "setup-done").await?;
        b.expect(&tr(self.lang, "setup-done-title")).await?;
        let uri = b.find(".secret").await?.text().await.map_err(|e| e.to_string())?;
        self.accounts.insert("quantri.hoa".into(), Account::enrolled(&uri)?);
        self.sign_in("quantri.hoa").await?;
        let b = &mut self.staff;
        b.expect(&tr(self.lang, "admin-title")).await?;

        b.fill("#unit-id", UNIT).await?;
        b.pick("#unit-kind", "commune").await?;
        b.fill("#unit-vi", "Xã Thử Nghiệm").await?;
        b.fill("#unit-en", "Thu Nghiem Commune").await?;
        b.pick("#unit-parent", "hoc-mon").await?;
        b.press("form[action^='/admin/units'] button", "admin-unit-added")
            .await?;
        b.expect(UNIT).await?;

        b.fill("#team-id", TEAM).await?;
        b.fill("#team-vi", "Tổ xác minh Thử Nghiệm").await?;
        b.fill("#team-en", "Thu Nghiem verification team").await?;
        b.press("form[action^='/admin/teams'] button", "admin-team-added")
            .await?;
        b.expect(TEAM).await?;

        b.pick("#rule-category", "bribe-taking").await?;
        b.pick("#rule-unit", UNIT).await?;
        b.pick("#rule-team", TEAM).await?;
        b.press(
            "form[action^='/admin/rules']:not([action^='/admin/rules/']) button",
            "admin-rule-added",
        )
        .await?;
        let (unit, team) = match self.lang {
            "vi" => ("Xã Thử Nghiệm", "Tổ xác minh Thử Nghiệm"),
            _ => ("Thu Nghiem Commune", "Thu Nghiem verification team"),
        };
        let rule = format!("{} × {unit} → {team}", tr(self.lang, "category-bribe-taking"));
        b.expect(&rule).await?;

        for (username, role, home) in [
            ("thanhtra.an", "inspector", ""),
            ("thanhtra.binh", "inspector", "ba-diem"),
            ("giamsat.chi", "supervisor", ""),
            ("thiduakt.dung", "officer", ""),
        ] {
            let b = &mut self.staff;
            b.fill("#new-username", username).await?;
            b.pick("#new-role", role).await?;
            b.pick("#new-team", TEAM).await?;
            if !home.is_empty() {
                b.pick("#new-unit", home).await?;
            }
            b.fill("#new-password", PASSWORD).await?;
            b.press(
                "form[action^='/admin/users']:not([action^='/admin/users/']) button",
                &format!("admin-user-{username}"),
            )
            .await?;
            b.expect(&tr(self.lang, "admin-enrol-title")).await?;
            let uri = b.find(".secret").await?.text().await.map_err(|e| e.to_string())?;
            self.accounts.insert(username.into(), Account::enrolled(&uri)?);
        }
        let q = self.staff.q();
        self.staff.goto(&format!("/admin{q}"), "admin").await?;
        self.other_language(Who::Staff, "admin-title", "admin").await
    }

    /// Journey 1, first part: the home page, the form with a field error then corrected, the code, the
    /// status by the code typed with spaces and in lower case, and a reply.
    async fn reporter_files(&mut self) -> Result {
        let q = self.citizen.q();
        let lang = self.lang;
        let b = &mut self.citizen;
        b.goto(&format!("/{q}"), "home").await?;
        b.expect(&tr(lang, "home-title")).await?;
        b.press("a[href^='/report']:not([href^='/report/'])", "report-form")
            .await?;
        b.expect(&tr(lang, "form-title")).await?;
        b.pick("#category", "bribe-taking").await?;
        b.pick("#unit", UNIT).await?;
        b.fill(
            "#narrative",
            "Cán bộ địa chính xã Thử Nghiệm nhận 15 triệu đồng để làm nhanh hồ sơ cấp giấy chứng nhận.",
        )
        .await?;
        b.fill("#accused", "Ông Trần Văn B, cán bộ địa chính").await?;
        b.fill("#amount_vnd", "mười lăm triệu").await?;
        b.press("form[action^='/report'] button[type=submit]", "report-field-error")
            .await?;
        b.expect(&tr(lang, "form-has-errors")).await?;
        b.expect(&tr(lang, "error-invalid-amount")).await?;
        b.fill("#amount_vnd", "15000000").await?;
        // A photo of the receipt, as the browser's file picker gives it: its text chunk names its author.
        let photo = evidence_photo()?;
        b.find("#file")
            .await?
            .send_keys(&photo.display().to_string())
            .await
            .map_err(|e| format!("attaching the photo: {e}"))?;
        b.press("form[action^='/report'] button[type=submit]", "report-submitted")
            .await?;
        b.expect(&tr(lang, "submitted-title")).await?;
        b.expect(EVIDENCE_NAME).await?;
        b.expect(&tr(lang, "removed-text")).await?;
        let code = b.find("#code").await?.text().await.map_err(|e| e.to_string())?;
        if code.len() != 24 {
            return Err(format!("the code shown is {code:?}"));
        }
        self.codes.push(code.clone());
        self.citizen.press("a[href^='/report/status']", "lookup").await?;
        self.other_language(Who::Citizen, "lookup-title", "lookup").await?;
        self.status_by_code(0, "status-received").await?;
        let b = &mut self.citizen;
        b.fill(
            "#body",
            "Tôi bổ sung: việc nhận tiền diễn ra tại trụ sở xã, có người làm chứng.",
        )
        .await?;
        // The reply carries a second file, picked the same way.
        let dir = std::env::temp_dir().join(format!("minhbach-journeys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("a directory for the reply's file: {e}"))?;
        let notes = dir.join(REPLY_FILE);
        std::fs::write(
            &notes,
            "Ghi chép: ngày 01/10/2026, trụ sở xã, có bà Lê Thị C. làm chứng.\n",
        )
        .map_err(|e| format!("writing the reply's file: {e}"))?;
        b.find("#file")
            .await?
            .send_keys(&notes.display().to_string())
            .await
            .map_err(|e| format!("attaching the reply's file: {e}"))?;
        b.press("form[action^='/report/messages'] button", "status-reply-sent")
            .await?;
        b.expect(&tr(lang, "status-reply-sent")).await?;
        b.expect(REPLY_FILE).await
    }

    /// The citizen types code `n` (spaced, in lower case) and expects the status labelled `status_key`.
    async fn status_by_code(&mut self, n: usize, status_key: &str) -> Result {
        let typed = self.codes[n].replace('-', " ").to_lowercase();
        let q = self.citizen.q();
        let b = &mut self.citizen;
        if !b.here().await.contains("/report/status") {
            b.goto(&format!("/report/status{q}"), "lookup").await?;
        }
        b.fill("#code", &typed).await?;
        b.press("form[action^='/report/status'] button", &format!("status-{status_key}"))
            .await?;
        b.expect(&tr(self.lang, "status-title")).await?;
        b.expect(&tr(self.lang, status_key)).await
    }

    async fn reporter_sees(&mut self, n: usize, status_key: &str) -> Result {
        let q = self.citizen.q();
        self.citizen.goto(&format!("/report/status{q}"), "lookup").await?;
        self.status_by_code(n, status_key).await
    }

    /// Opens the only case the queue lists under a status filter.
    async fn open_case_with_status(&mut self, status: &str) -> Result<String> {
        let q = self.staff.q();
        let b = &mut self.staff;
        b.goto(&format!("/inspector{q}"), "queue").await?;
        b.pick("#status", status).await?;
        b.press("form.filters button", &format!("queue-{status}")).await?;
        let links = b
            .client
            .find_all(fantoccini::Locator::Css("a[href^='/inspector/cases/']"))
            .await
            .map_err(|e| e.to_string())?;
        if links.len() != 1 {
            return Err(format!("the queue filtered by {status} lists {} cases", links.len()));
        }
        let href = links[0]
            .attr("href")
            .await
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        b.press("a[href^='/inspector/cases/']", &format!("case-{status}"))
            .await?;
        let id = href
            .trim_start_matches("/inspector/cases/")
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        Ok(id)
    }

    /// Moves the open case on with a reason, as the case page's form does.
    async fn transition(&mut self, to: &str, reason: &str) -> Result {
        let b = &mut self.staff;
        b.pick("#to", to).await?;
        b.fill("#reason", reason).await?;
        b.press("form[action*='/transitions'] button", &format!("case-to-{to}"))
            .await?;
        b.expect(&tr(self.lang, "case-done-transition")).await?;
        self.case_status_is(to).await
    }

    /// The case page's current status (not an option of its forms) is `to`.
    async fn case_status_is(&self, to: &str) -> Result {
        let shown = self
            .staff
            .find("dl.facts .status")
            .await?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        let wanted = tr(self.lang, &format!("status-{}", to.replace('_', "-")));
        match shown == wanted {
            true => Ok(()),
            false => Err(format!("the case shows status {shown:?}, not {wanted:?}")),
        }
    }

    /// Journey 3: sign-in with TOTP, queue, case, a request for information (the reporter answers: the end
    /// of journey 1), a message, acceptance with a reason, investigation, and the conclusion
    /// `substantiated`; the reporter sees each step on the status page.
    async fn inspector(&mut self) -> Result {
        self.sign_out("admin-signed-out").await?;
        // Routing gives the case to the inspector of the team with the fewest open cases (ties: the lower
        // id, which nobody chooses): the inspector who finds it in their queue holds it.
        for username in ["thanhtra.an", "thanhtra.binh"] {
            self.sign_in(username).await?;
            let links = self
                .staff
                .client
                .find_all(fantoccini::Locator::Css("a[href^='/inspector/cases/']"))
                .await
                .map_err(|e| e.to_string())?;
            if links.len() == 1 {
                self.holder = username.to_owned();
                break;
            }
            self.sign_out(&format!("{username}-signed-out")).await?;
        }
        if self.holder.is_empty() {
            return Err("neither inspector of the team has the report in their queue".into());
        }
        let lang = self.lang;
        self.staff.expect(&tr(lang, "queue-title")).await?;
        self.staff.press("a[href^='/inspector/cases/']", "case").await?;
        self.staff.expect(&tr(lang, "case-title")).await?;
        self.staff
            .expect("Cán bộ địa chính xã Thử Nghiệm nhận 15 triệu đồng")
            .await?;
        self.staff
            .expect("Tôi bổ sung: việc nhận tiền diễn ra tại trụ sở xã")
            .await?;
        // The reporter's photo is on the case, as a download.
        self.staff.expect(EVIDENCE_NAME).await?;
        self.staff.expect(REPLY_FILE).await?;
        let href = self.staff.attr("a[href*='/attachments/']", "href").await?;
        if !href.contains("/inspector/cases/") {
            return Err(format!("the photo's download link is {href:?}"));
        }
        self.transition("info_requested", "Đề nghị cho biết ngày cụ thể và tên người làm chứng.")
            .await?;
        self.reporter_sees(0, "status-info-requested").await?;
        self.citizen
            .expect("Đề nghị cho biết ngày cụ thể và tên người làm chứng.")
            .await?;
        let b = &mut self.citizen;
        b.fill("#body", "Ngày 01/10/2026; người làm chứng là bà Lê Thị C.")
            .await?;
        b.press("form[action^='/report/messages'] button", "status-answer-sent")
            .await?;
        b.expect(&tr(lang, "status-reply-sent")).await?;
        self.reporter_done = true;

        let b = &mut self.staff;
        let case = b.here().await;
        b.goto(&case, "case-with-answer").await?;
        b.expect("người làm chứng là bà Lê Thị C.").await?;
        b.fill("#body", "Cảm ơn ông/bà. Chúng tôi đã nhận thông tin và sẽ thụ lý.")
            .await?;
        b.press("form[action*='/messages'] button", "case-message-sent").await?;
        b.expect("Chúng tôi đã nhận thông tin và sẽ thụ lý.").await?;
        self.transition("accepted", "Đủ điều kiện thụ lý theo Điều 29 Luật Tố cáo.")
            .await?;
        self.reporter_sees(0, "status-accepted").await?;
        self.citizen.expect("Chúng tôi đã nhận thông tin và sẽ thụ lý.").await?;
        self.transition("investigating", "Bắt đầu xác minh tại xã.").await?;
        self.reporter_sees(0, "status-investigating").await?;
        self.transition("substantiated", "Kết luận: tố cáo đúng, đã thu hồi 150 triệu đồng.")
            .await?;
        self.reporter_sees(0, "status-substantiated").await?;
        self.other_language(Who::Staff, "case-title", "case").await
    }

    /// Journey 4: a second report; the team's queue, reassignment, acceptance, an extension and a refused
    /// one past the cap, and the on-time page.
    async fn supervisor(&mut self) -> Result {
        self.file_quickly("Chủ tịch xã Thử Nghiệm nhận quà để bỏ qua vi phạm xây dựng.")
            .await?;
        self.sign_out(&format!("{}-signed-out", self.holder.clone())).await?;
        self.sign_in("giamsat.chi").await?;
        let lang = self.lang;
        // The team's queue holds both reports.
        let listed = self
            .staff
            .client
            .find_all(fantoccini::Locator::Css("a[href^='/inspector/cases/']"))
            .await
            .map_err(|e| e.to_string())?
            .len();
        if listed != 2 {
            return Err(format!("the supervisor's queue lists {listed} cases, not the team's 2"));
        }
        self.open_case_with_status("received").await?;
        let holder = self.holder.clone();
        let b = &mut self.staff;
        b.pick("#assignee", &holder).await?;
        b.press("form[action*='/assignment'] button", "case-reassigned").await?;
        b.expect(&tr(lang, "case-done-assignment")).await?;
        let now = b.find("#assignee-now").await?.text().await.map_err(|e| e.to_string())?;
        if now != holder {
            return Err(format!("the case is held by {now:?} after reassignment to {holder:?}"));
        }
        self.transition("accepted", "Đủ điều kiện thụ lý.").await?;
        let b = &mut self.staff;
        b.pick("#type", "complex").await?;
        b.fill(
            "#extend-reason",
            "Vụ việc phức tạp: nhiều hồ sơ xây dựng cần đối chiếu.",
        )
        .await?;
        b.press("form[action*='/extensions'] button", "case-extended").await?;
        b.expect("Vụ việc phức tạp: nhiều hồ sơ xây dựng cần đối chiếu.")
            .await?;
        b.pick("#type", "complex").await?;
        b.fill("#extend-reason", "Gia hạn lần hai.").await?;
        b.press("form[action*='/extensions'] button", "case-extension-refused")
            .await?;
        b.expect(&tr(lang, "error-extension-limit")).await?;
        b.expect_not("Gia hạn lần hai.").await?;
        let q = b.q();
        b.goto(&format!("/inspector{q}"), "supervisor-queue").await?;
        b.press("a[href^='/inspector/stats']", "on-time").await?;
        b.expect(&tr(lang, "on-time-title")).await?;
        // The charts are drawn by the browser itself, scripts off: each at its size, the on-time chart with
        // the bar of the triage met above (100 %).
        for figure in ["on-time", "open", "workload", "decisions"] {
            let (width, height) = b.drawn_size(&format!("#figure-{figure} svg.chart")).await?;
            if width < 300.0 || height < 150.0 {
                return Err(format!("the {figure} chart is drawn at {width}×{height}"));
            }
        }
        let bar = b.attr("#figure-on-time svg.chart rect.bar", "data-value").await?;
        if bar != "1000" {
            return Err(format!(
                "the on-time chart's first bar is {bar}, not the met triage (1000)"
            ));
        }
        self.other_language(Who::Staff, "on-time-title", "on-time").await
    }

    /// The supervisor opens their profile from the staff menu and chooses their notifications: saved and
    /// shown back, in both languages.
    async fn profile(&mut self) -> Result {
        let lang = self.lang;
        let b = &mut self.staff;
        b.press("nav a[href^='/inspector/profile']", "profile").await?;
        b.expect(&tr(lang, "profile-title")).await?;
        let address = "giamsat.chi@hocmon.example";
        b.fill("#email", address).await?;
        b.pick("#digest-hour", "6").await?;
        b.press("form[action^='/inspector/profile'] button", "profile-saved")
            .await?;
        b.expect(&tr(lang, "profile-saved")).await?;
        let shown = b.attr("#email", "value").await?;
        let hour = b.attr("#digest-hour option[selected]", "value").await?;
        if shown != address || hour != "6" {
            return Err(format!(
                "the profile shows {shown:?} at {hour:?} after saving {address:?} at 6"
            ));
        }
        self.other_language(Who::Staff, "profile-title", "profile").await
    }

    /// Files a report through the form, the way journey 1 does, without the detours.
    async fn file_quickly(&mut self, narrative: &str) -> Result {
        let q = self.citizen.q();
        let b = &mut self.citizen;
        b.goto(&format!("/report{q}"), "report-form").await?;
        b.pick("#category", "bribe-taking").await?;
        b.pick("#unit", UNIT).await?;
        b.fill("#narrative", narrative).await?;
        b.press("form[action^='/report'] button[type=submit]", "report-submitted")
            .await?;
        b.expect(&tr(self.lang, "submitted-title")).await?;
        let code = b.find("#code").await?.text().await.map_err(|e| e.to_string())?;
        self.codes.push(code);
        Ok(())
    }

    /// Journey 5: the officer's queue, proposal, decision; the reporter sees the decision and claims it
    /// with identity details; the officer sees them and records payment; the reporter sees it paid.
    async fn officer(&mut self) -> Result {
        self.sign_out("supervisor-signed-out").await?;
        self.sign_in("thiduakt.dung").await?;
        let lang = self.lang;
        let q = self.staff.q();
        let b = &mut self.staff;
        b.goto(&format!("/officer{q}"), "officer-queue").await?;
        b.expect(&tr(lang, "officer-queue-title")).await?;
        b.press("a[href^='/officer/commendations/']", "commendation-file")
            .await?;
        b.expect(&tr(lang, "officer-file-title")).await?;
        b.fill("#recovered", "150000000").await?;
        let form = b.attr("#form option", "value").await?;
        b.pick("#form", &form).await?;
        b.fill("#evidence", "Kết luận thanh tra số 12/KL-TTr ngày 20/11/2026.")
            .await?;
        b.press("form[action*='/proposal'] button", "commendation-proposed")
            .await?;
        b.expect(&tr(lang, "officer-proposal")).await?;
        b.fill("#decision-reason", "Theo đề xuất.").await?;
        b.press("form[action*='/decision'] button", "commendation-decided")
            .await?;
        b.expect(&tr(lang, "officer-decided-at")).await?;
        let file = b.here().await;

        self.reporter_sees(0, "status-substantiated").await?;
        let b = &mut self.citizen;
        b.expect(&tr(lang, "commendation-title")).await?;
        b.expect(&tr(lang, "officer-decided-at")).await?;
        b.fill("#claim-name", "Nguyễn Thị Hoa").await?;
        b.fill("#claim-id", "079190001234").await?;
        b.fill("#claim-contact", "0909 000 111").await?;
        b.fill(
            "#claim-payment",
            "Tài khoản 0123456789, Ngân hàng Nông nghiệp, chi nhánh Hóc Môn",
        )
        .await?;
        b.press("button[name='answer'][value='claim']", "claim-sent").await?;
        b.expect(&tr(lang, "claim-done")).await?;

        let b = &mut self.staff;
        b.goto(&file, "commendation-claimed").await?;
        b.expect("Nguyễn Thị Hoa").await?;
        b.expect("079190001234").await?;
        b.fill("#reference", "Ủy nhiệm chi số 0001/2026").await?;
        b.press("form[action*='/payment'] button", "commendation-paid").await?;
        b.expect(&tr(lang, "officer-paid-at")).await?;
        b.expect("Ủy nhiệm chi số 0001/2026").await?;

        self.reporter_sees(0, "status-substantiated").await?;
        self.citizen.expect(&tr(lang, "officer-paid-at")).await?;
        // The reporter's timeline names each status the case moved to.
        self.citizen
            .expect(&format!(
                "{}: {}",
                tr(lang, "event-transition"),
                tr(lang, "status-accepted")
            ))
            .await?;
        // The public page shows the day's checkpoint, made when the server started; the paid commendation
        // is counted from tomorrow's (the suite shows it in neutral words), never live.
        let q = self.citizen.q();
        self.citizen.goto(&format!("/transparency{q}"), "transparency").await?;
        self.citizen.expect(&tr(lang, "transparency-history")).await?;
        self.other_language(Who::Staff, "officer-file-title", "commendation")
            .await
    }

    /// Cross-site attempts in a real browser: pages of another site whose forms post to the app (plainly,
    /// from a sandboxed frame, which sends `Origin: null`, and bounced by a 307 of the other site) for a
    /// transition, a sign-in and an admin action, each with what a form of the
    /// app would carry (the CSRF token included). Then the positive control: the same transition form
    /// served under the app's own origin does change the case.
    async fn cross_site(&mut self) -> Result {
        self.sign_out("officer-signed-out").await?;
        self.sign_in("giamsat.chi").await?;
        let case = self.open_case_with_status("accepted").await?;
        let csrf = self.staff.attr("input[name='csrf']", "value").await?;
        let origin = self.app.origin();
        let q = self.staff.q();
        let transition = format!("{origin}/inspector/cases/{case}/transitions{q}");
        let transition_fields = |csrf: &str| {
            format!(
                "<input type='hidden' name='csrf' value='{csrf}'><input type='hidden' name='to' value='investigating'>\
                 <input type='hidden' name='reason' value='Chuyển bởi trang khác.'>"
            )
        };
        self.attack("transition", &transition, &transition_fields(&csrf))
            .await?;
        let binh_code = self
            .accounts
            .get_mut("thanhtra.binh")
            .ok_or("no account thanhtra.binh")?
            .next_code()
            .await;
        let sign_in = format!(
            "<input type='hidden' name='username' value='thanhtra.binh'><input type='hidden' name='password' value='{PASSWORD}'>\
             <input type='hidden' name='totp' value='{binh_code}'>"
        );
        self.attack("sign-in", &format!("{origin}/inspector/sign-in{q}"), &sign_in)
            .await?;
        // An admin action, from the admin's own signed-in browser.
        self.sign_out("supervisor-signed-out-again").await?;
        self.sign_in("quantri.hoa").await?;
        let admin_csrf = self.staff.attr("input[name='csrf']", "value").await?;
        let add_user = format!(
            "<input type='hidden' name='csrf' value='{admin_csrf}'><input type='hidden' name='username' value='ke.gian'>\
             <input type='hidden' name='role' value='inspector'><input type='hidden' name='team' value='{TEAM}'>\
             <input type='hidden' name='home_unit' value=''><input type='hidden' name='password' value='{PASSWORD}'>"
        );
        self.attack("admin-user", &format!("{origin}/admin/users{q}"), &add_user)
            .await?;

        // The control: the very transition form, served under the app's origin to the supervisor.
        self.sign_out("admin-signed-out-again").await?;
        self.sign_in("giamsat.chi").await?;
        self.open_case_with_status("accepted").await?;
        let csrf = self.staff.attr("input[name='csrf']", "value").await?;
        let before_control = state(&self.app).await;
        let page = self.attacker.serve(
            "/__same-origin/transition",
            page_with(&form(&transition, &transition_fields(&csrf))),
        );
        let page = page.replace(&self.attacker.host(), &self.app.host());
        self.staff.goto(&page, "control-same-origin-form").await?;
        self.staff.press("#go", "control-same-origin-posted").await?;
        self.staff.expect(&tr(self.lang, "case-done-transition")).await?;
        self.case_status_is("investigating").await?;
        self.control_changes = changed(&before_control, &state(&self.app).await);
        Ok(())
    }

    /// Posts `fields` to `action` from the attacker's site three ways, pressing the button in the staff
    /// member's browser each time: a plain page, a sandboxed frame, and a form bounced by a 307.
    async fn attack(&mut self, name: &str, action: &str, fields: &str) -> Result {
        let plain = self
            .attacker
            .serve(&format!("/{name}"), page_with(&form(action, fields)));
        let framed_doc = page_with(&form(action, fields))
            .replace('&', "&amp;")
            .replace('"', "&quot;");
        let framed = self.attacker.serve(
            &format!("/{name}-framed"),
            format!(
                "<!DOCTYPE html><title>x</title><iframe sandbox='allow-forms' width='900' height='400' srcdoc=\"{framed_doc}\"></iframe>"
            ),
        );
        let bounce = self.attacker.bounce(&format!("/{name}-bounce"), action);
        let bounced = self
            .attacker
            .serve(&format!("/{name}-bounced"), page_with(&form(&bounce, fields)));
        let posts_before = self.posts_to_app();
        let before = state(&self.app).await;
        self.staff.goto(&plain, &format!("attack-{name}")).await?;
        self.staff.press("#go", &format!("attack-{name}-refused")).await?;
        self.staff.expect(&tr(self.lang, "error-csrf")).await?;
        self.staff.goto(&framed, &format!("attack-{name}-framed")).await?;
        self.staff.client.enter_frame(0).await.map_err(|e| e.to_string())?;
        let clicked = self.staff.find("#go").await?.click().await;
        // Firefox reports the refused answer's error page (framing is forbidden) as the click's error, or
        // as the next command's.
        tolerate_framing_refused(name, clicked)?;
        let left = self.staff.client.enter_parent_frame().await;
        if tolerate_framing_refused(name, left)? {
            self.staff
                .client
                .enter_parent_frame()
                .await
                .map_err(|e| e.to_string())?;
        }
        // The framed post's answer cannot be shown in a frame (frame-ancestors 'none'); wait for it. The
        // proxy records a request once it is answered.
        for _ in 0..100 {
            if self.posts_to_app() >= posts_before + 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.staff.landed(&format!("attack-{name}-framed-sent")).await?;
        self.staff.goto(&bounced, &format!("attack-{name}-bounced")).await?;
        self.staff
            .press("#go", &format!("attack-{name}-bounced-refused"))
            .await?;
        self.staff.expect(&tr(self.lang, "error-csrf")).await?;
        let sent = self.posts_to_app() - posts_before;
        self.cross_attempts += sent;
        self.cross_changes += changed(&before, &state(&self.app).await);
        if sent != 3 {
            return Err(format!("{name}: {sent} of 3 cross-site posts reached the app"));
        }
        // What the browser said of them (the other site; the sandboxed frame's opaque origin; after the
        // other site's redirect, see below; all cross-site) and what the app answered (403 each).
        let said: Vec<(Option<String>, Option<String>, u16)> = self.app_posts()[posts_before..]
            .iter()
            .map(|s| (s.origin.clone(), s.fetch_site.clone(), s.status))
            .collect();
        let cross = Some("cross-site".to_owned());
        let null = Some("null".to_owned());
        let other_site = Some(format!("http://{}", self.attacker.host()));
        // After the redirect Chromium sends an opaque origin, Firefox the form's own: both cross-site.
        let bounced_origin = match self.staff.kind {
            Kind::Chromium => null.clone(),
            Kind::Firefox => other_site.clone(),
        };
        let expected = vec![
            (other_site, cross.clone(), 403),
            (null, cross.clone(), 403),
            (bounced_origin, cross, 403),
        ];
        if said != expected {
            return Err(format!(
                "{name}: the cross-site posts (Origin, Sec-Fetch-Site, answer) were {said:?}, not {expected:?}"
            ));
        }
        Ok(())
    }

    fn posts_to_app(&self) -> usize {
        self.app_posts().len()
    }

    fn app_posts(&self) -> Vec<Seen> {
        self.proxy
            .requests()
            .into_iter()
            .filter(|s| s.method == "POST" && s.host == self.app.host())
            .collect()
    }

    /// Journey 6: sign-out, a signed-out user sent to sign-in, and idle expiry on a server whose staff
    /// sessions end after 3 idle seconds.
    async fn sign_out_and_idle(&mut self) -> Result {
        self.sign_out("signed-out").await?;
        let q = self.staff.q();
        let lang = self.lang;
        let b = &mut self.staff;
        b.goto(&format!("/inspector{q}"), "queue-signed-out").await?;
        b.expect(&tr(lang, "sign-in-title")).await?;
        if !b.here().await.contains("/inspector/sign-in") {
            return Err("a signed-out user was not sent to sign-in".into());
        }
        b.goto(&format!("/admin{q}"), "admin-signed-out").await?;
        b.expect_not(&tr(lang, "admin-users")).await?;

        let out = cli(
            &self.idle.data_dir,
            &self.idle.database_url,
            &[
                "user",
                "add",
                "--username",
                "thanhtra.em",
                "--role",
                "inspector",
                "--password-stdin",
            ],
            &format!("{PASSWORD}\n"),
        );
        let uri = out
            .lines()
            .find(|l| l.starts_with("otpauth://"))
            .ok_or("user add printed no otpauth address")?;
        let mut account = Account::enrolled(uri)?;
        let code = account.next_code().await;
        let b = &mut self.staff;
        let base = std::mem::replace(&mut b.base, self.idle.origin());
        let result = async {
            fill_sign_in(b, "thanhtra.em", &code, "idle-sign-in").await?;
            b.expect(&tr(lang, "queue-title")).await?;
            // The footer gives this server's idle time: 3 seconds, rounded up to a minute.
            b.expect(match lang {
                "vi" => "sau 1 phút không hoạt động",
                _ => "after 1 min without activity",
            })
            .await?;
            tokio::time::sleep(Duration::from_secs(4)).await;
            // A form pressed on a page left open too long: told the session ended, sent on to sign in.
            b.press("form[action^='/inspector/sign-out'] button", "idle-expired-post")
                .await?;
            b.expect(&tr(lang, "error-session-ended")).await?;
            b.press("a.button[href^='/inspector/sign-in']", "idle-sign-in-again")
                .await?;
            b.expect(&tr(lang, "sign-in-title")).await?;
            b.goto(&format!("/inspector{q}"), "idle-expired").await?;
            b.expect(&tr(lang, "sign-in-title")).await
        }
        .await;
        b.base = base;
        result?;
        self.other_language(Who::Staff, "sign-in-title", "sign-in").await
    }

    /// `minhbach retention run` as the operator types it, on the journeys' server (its data, its policy).
    fn retention_run(&self) -> Result<String> {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_minhbach"))
            .args(["retention", "run"])
            .env("MINHBACH_DATA_DIR", &self.app.data_dir)
            .env("MINHBACH_DATABASE_URL", &self.app.database_url)
            .env("MINHBACH_POLICY_FILE", &self.policy)
            .env("MINHBACH_LOG", "warn")
            .output()
            .map_err(|e| format!("minhbach retention run: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "minhbach retention run failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Journey 8: retention. A third report, rejected by the supervisor, who places a legal hold and closes
    /// it: the case page and the queue show the day it is to be erased (today: the journeys' policy keeps
    /// such reports 0 months) and the hold. The operator's `minhbach retention run` keeps it while held and
    /// erases it once the hold is lifted; the citizen's code then shows the erasure notice and nothing else.
    async fn retention(&mut self) -> Result {
        let narrative = "Cán bộ xã Thử Nghiệm thu phí chứng thực cao hơn quy định.";
        self.file_quickly(narrative).await?;
        let n = self.codes.len() - 1;
        self.sign_in("giamsat.chi").await?;
        let id = self.open_case_with_status("received").await?;
        let lang = self.lang;
        self.staff.expect(&tr(lang, "retention-open")).await?;
        self.transition("rejected", "Không thuộc thẩm quyền của huyện.").await?;
        let b = &mut self.staff;
        b.fill("#hold-reason", "Cơ quan điều tra đề nghị giữ hồ sơ.").await?;
        b.press("form[action*='/hold'] button", "case-held").await?;
        b.expect(&tr(lang, "case-done-hold-placed")).await?;
        b.expect(&tr(lang, "retention-held")).await?;
        self.transition("closed", "Kết thúc hồ sơ.").await?;
        let today = page_date(
            lang,
            minhbach::domain::calendar::local_date(minhbach::store::now_millis()),
        );
        let b = &mut self.staff;
        b.expect(&format!("{} {today}", tr(lang, "retention-erase-on"))).await?;
        b.expect(&tr(lang, "event-legal_hold_placed")).await?;
        let q = b.q();
        b.goto(
            &format!("/inspector?status=closed{}", q.replacen('?', "&", 1)),
            "queue-closed-held",
        )
        .await?;
        b.expect(&tr(lang, "retention-held-short")).await?;

        let held = self.retention_run()?;
        if held.lines().any(|l| l.contains(&id)) || !held.contains("1 held past their period") {
            return Err(format!("a held case was erased, or not counted as held: {held}"));
        }
        let q = self.staff.q();
        let b = &mut self.staff;
        b.goto(&format!("/inspector/cases/{id}{q}"), "case-held-after-sweep")
            .await?;
        b.fill("#hold-reason", "Cơ quan điều tra đã kết thúc xác minh.").await?;
        b.press("form[action*='/hold'] button", "case-hold-lifted").await?;
        b.expect(&tr(lang, "case-done-hold-lifted")).await?;
        b.expect(&tr(lang, "retention-place-submit")).await?;
        self.other_language(Who::Staff, "retention-title", "case-retention")
            .await?;
        let erased = self.retention_run()?;
        // The server's own sweep (every 10 minutes) may have been first; either way the case is erased.
        let by_cli = erased.lines().any(|l| l.trim().starts_with(&format!("erased {id}")));
        let pool = self.app.pool().await;
        let at: Option<i64> = sqlx::query_scalar("SELECT erased_at FROM reports WHERE id = $1")
            .bind(&id)
            .fetch_one(&pool)
            .await
            .map_err(|e| e.to_string())?;
        pool.close().await;
        if at.is_none() {
            return Err(format!("the case was not erased once the hold was lifted: {erased}"));
        }
        if !by_cli {
            println!("journey 8: the server's own sweep erased the case before the command did");
        }

        // The citizen's code: the notice with the day, and nothing of the report.
        let typed = self.codes[n].clone();
        let q = self.citizen.q();
        let b = &mut self.citizen;
        b.goto(&format!("/report/status{q}"), "lookup-erased").await?;
        b.fill("#code", &typed).await?;
        b.press("form[action^='/report/status'] button", "status-erased")
            .await?;
        b.expect(&format!("{} {today}", tr(lang, "error-erased"))).await?;
        b.expect_not(narrative).await?;
        // Staff meet the same notice on the case.
        let q = self.staff.q();
        let b = &mut self.staff;
        b.goto(&format!("/inspector/cases/{id}{q}"), "case-erased").await?;
        b.expect(&tr(lang, "error-erased")).await
    }

    /// Journey 7: a report filed and looked up with the keyboard alone: Tab to move, Space and Enter to
    /// press, arrows to choose.
    async fn keyboard_only(&mut self) -> Result {
        const ENTER: &str = "\u{E007}";
        const SPACE: &str = "\u{E00D}";
        const DOWN: &str = "\u{E015}";
        let q = self.citizen.q();
        let lang = self.lang;
        let b = &mut self.citizen;
        b.goto(&format!("/{q}"), "keyboard-home").await?;
        tab_to(b, "href:/report").await?;
        b.keys(ENTER).await?;
        b.wait_for("select#category").await?;
        b.landed("keyboard-form").await?;
        b.expect(&tr(lang, "form-title")).await?;
        tab_to(b, "category").await?;
        b.keys(DOWN).await?;
        tab_to(b, "unit").await?;
        b.keys(DOWN).await?;
        tab_to(b, "narrative").await?;
        b.keys("Phó chủ tịch xã đòi tiền để ký xác nhận hồ sơ, tôi gửi bằng bàn phím.")
            .await?;
        tab_to(b, "button").await?;
        b.keys(SPACE).await?;
        b.wait_for("p.code#code").await?;
        b.landed("keyboard-submitted").await?;
        b.expect(&tr(lang, "submitted-title")).await?;
        let code = b.find("#code").await?.text().await.map_err(|e| e.to_string())?;
        tab_to(b, "href:/report/status").await?;
        b.keys(ENTER).await?;
        b.wait_for("input#code").await?;
        b.landed("keyboard-lookup").await?;
        tab_to(b, "code").await?;
        b.keys(&code.to_lowercase()).await?;
        b.keys(ENTER).await?;
        b.wait_for("textarea#body").await?;
        b.landed("keyboard-status").await?;
        b.expect(&tr(lang, "status-title")).await?;
        // The report's own text is folded away (a <details>) until the person opens it.
        let source = b.client.source().await.map_err(|e| e.to_string())?;
        if !source.contains("tôi gửi bằng bàn phím") {
            return Err("the status page found by the typed code is not the keyboard's report".into());
        }
        self.other_language(Who::Citizen, "lookup-title", "keyboard-lookup")
            .await
    }
}

#[derive(Clone, Copy)]
enum Who {
    Citizen,
    Staff,
}

/// Passes a WebDriver answer that is Firefox's error page for a response that refuses to be framed (true),
/// or success (false); any other error fails.
fn tolerate_framing_refused(name: &str, answer: std::result::Result<(), fantoccini::error::CmdError>) -> Result<bool> {
    match answer.map_err(|e| e.to_string()) {
        Ok(()) => Ok(false),
        Err(e) if e.contains("cspBlocked") => Ok(true),
        Err(e) => Err(format!("{name}: the framed form: {e}")),
    }
}

/// A form of the attacker's that posts `fields` to `action` when its one button is pressed.
fn form(action: &str, fields: &str) -> String {
    format!("<form method='post' action='{action}'>{fields}<button id='go'>Xem ảnh</button></form>")
}

fn page_with(form: &str) -> String {
    format!("<!DOCTYPE html><meta charset='utf-8'><title>Ảnh đẹp</title><h1>Ảnh đẹp</h1>{form}")
}

/// Signs in on the sign-in page of the window's server, as a person types it; screenshots are named
/// `name` and `name`-done.
async fn fill_sign_in(b: &mut Browser, username: &str, code: &str, name: &str) -> Result {
    let q = b.q();
    b.goto(&format!("/inspector/sign-in{q}"), name).await?;
    b.fill("#username", username).await?;
    b.fill("#password", PASSWORD).await?;
    b.fill("#totp", code).await?;
    b.press("form[action^='/inspector/sign-in'] button", &format!("{name}-done"))
        .await
}

const TAB: &str = "\u{E004}";

/// Presses Tab until the focus is on `target`: an element id, `button`, or `href:` and the start of a
/// link's address. Fails after 60 presses.
async fn tab_to(b: &Browser, target: &str) -> Result {
    for _ in 0..60 {
        b.keys(TAB).await?;
        let focused = b.focused().await?;
        if focused == target {
            return Ok(());
        }
    }
    Err(format!("Tab never reached {target} on {}", b.here().await))
}
