//! The web layer: pages for each audience, the JSON API, and what every response shares (security
//! headers, the privacy-preserving request log, errors in the user's language).

mod admin;
pub mod api;
mod charts;
mod error;
mod evidence;
mod figures;
pub(crate) mod guards;
pub mod headers;
pub mod i18n;
mod inspector;
mod log;
mod mail;
mod officer;
mod pages;
mod profile;
mod public;
mod reporter;
pub mod session;
mod sign_in;
mod stats;
mod status_page;
mod token;
mod transparency;

use rocket::fairing::AdHoc;
use rocket::{Build, Rocket};
use rocket_dyn_templates::Template;

use crate::app::notify::Notifier;
use crate::app::sign_in::{SetupCode, SignInLimits};
use crate::app::{audit, casework, retention, Clock};
use crate::config::{ServerSecret, Settings, SetupError};
use crate::store::Db;

pub use error::{ApiError, PageError};
pub use i18n::Lang;

/// Mounts every route, catcher and fairing on `rocket`. Fails if the sign-in throttles cannot be set up.
pub fn mount(rocket: Rocket<Build>, settings: Settings, secret: ServerSecret) -> Result<Rocket<Build>, SetupError> {
    let limits = SignInLimits::new(&secret).map_err(|e| SetupError::Deployment(e.to_string()))?;
    let notifier = notifier(&settings)?;
    let rocket = rocket
        .attach(Template::custom(i18n::register_helpers))
        .attach(headers::SecurityHeaders)
        .attach(log::RequestLog)
        .attach(AdHoc::try_on_ignite("Database", database_stage))
        .attach(AdHoc::on_liftoff("Background work", |rocket| {
            Box::pin(async move {
                if let Some(db) = rocket.state::<Db>().cloned() {
                    let every = rocket.state::<Settings>().map_or(600, |s| s.background_seconds.max(1));
                    rocket::tokio::spawn(background(db.clone(), std::time::Duration::from_secs(u64::from(every))));
                    if let Some(notifier) = rocket.state::<Notifiers>().and_then(Notifiers::take) {
                        rocket::tokio::spawn(notifier.run(db));
                    }
                }
            })
        }))
        .manage(token::TokenKey::derive(&secret))
        .manage(limits)
        .manage(Notifiers(std::sync::Mutex::new(notifier)))
        .manage(settings.kdf_gate())
        .manage(evidence::UploadRoom::new(settings.attachments_uploads_at_once))
        .manage(settings)
        .manage(secret)
        .mount("/", public::routes())
        .mount("/", transparency::routes())
        .mount("/report", reporter::routes())
        .mount("/inspector", sign_in::routes())
        .mount("/inspector", inspector::routes())
        .mount("/inspector", stats::routes())
        .mount("/inspector", profile::routes())
        .mount("/inspector", evidence::routes())
        .mount("/officer", officer::routes())
        .mount("/admin", admin::routes())
        .mount("/api/v1", api::routes())
        .mount("/api/v1", evidence::routes())
        .register("/", error::page_catchers())
        .register("/api", error::api_catchers());
    #[cfg(feature = "test-hooks")]
    let rocket = rocket
        .mount("/test-hooks", rocket::routes![test_hooks::panic])
        .mount("/api/v1/test-hooks", rocket::routes![test_hooks::panic]);
    Ok(rocket)
}

/// The notifier these settings ask for (none while `smtp_host` is unset), wording its mails as the server
/// does. The server starts it at liftoff; tests may run its rounds by hand.
pub fn notifier(settings: &Settings) -> Result<Option<Notifier>, SetupError> {
    Notifier::configured(settings, std::sync::Arc::new(mail::FluentWording))
}

/// The notifier, until liftoff starts it (once: a second liftoff of the same instance finds none).
struct Notifiers(std::sync::Mutex<Option<Notifier>>);

impl Notifiers {
    fn take(&self) -> Option<Notifier> {
        self.0.lock().ok().and_then(|mut n| n.take())
    }
}

/// At start and every `background_seconds` (10 minutes by default), on the one instance that holds the
/// background lease: the on-time figures of reports whose deadline passed with no event counted again,
/// today's transparency checkpoint, made once a day (the first run after midnight makes it), the escalation
/// of overdue resolutions to the supervisor (Art. 38), and the retention sweep (closed reports past their
/// period erased, unless held). The lease lasts three rounds: when its holder dies, another instance takes
/// the work within three to four rounds.
async fn background(db: Db, every: std::time::Duration) {
    let holder = crate::app::lease::holder_id();
    let lease_millis = i64::try_from(every.as_millis())
        .unwrap_or(i64::MAX / 4)
        .saturating_mul(3);
    let mut tick = rocket::tokio::time::interval(every);
    let mut retention = retention::ServerSweep::default();
    loop {
        tick.tick().await;
        let lease = Lease {
            db: &db,
            holder: &holder,
            millis: lease_millis,
        };
        if lease.renew().await {
            background_round(&lease, &mut retention).await;
        }
    }
}

/// The background lease as one round holds it: renewed before each step, so that a long step (the first
/// count of every report, a large retention sweep) does not let it run out while the round goes on.
struct Lease<'a> {
    db: &'a Db,
    holder: &'a str,
    millis: i64,
}

impl Lease<'_> {
    async fn renew(&self) -> bool {
        match crate::app::lease::hold(self.db, "background", self.holder, Clock::now(), self.millis).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(error = %e, "background lease: the database did not answer");
                false
            }
        }
    }
}

async fn background_round(lease: &Lease<'_>, retention: &mut retention::ServerSweep) {
    let db = lease.db;
    match crate::app::stats::recount(db, Clock::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(reports = n, "on-time figures counted again (deadlines passed)"),
        Err(e) => tracing::warn!(error = %e, "on-time recount failed"),
    }
    // Commendations an instance of an older version opened unplaced (the start placed all the others).
    match crate::app::commendations::place_unplaced(db).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(commendations = n, "placed in the officer's queue"),
        Err(e) => tracing::warn!(error = %e, "placing commendations in the officer's queue failed"),
    }
    if !lease.renew().await {
        return;
    }
    match audit::make_checkpoint(db, Clock::now()).await {
        Ok(true) => tracing::info!("today's transparency checkpoint made"),
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "transparency checkpoint failed"),
    }
    if !lease.renew().await {
        return;
    }
    match casework::escalate_overdue(db, Clock::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(escalated = n, "overdue resolutions escalated"),
        Err(e) => tracing::warn!(error = %e, "escalation sweep failed"),
    }
    if !lease.renew().await {
        return;
    }
    retention.run(db, Clock::now()).await;
    if let Err(e) = crate::app::sign_in::forget_full_buckets(db, Clock::now()).await {
        tracing::warn!(error = %e, "forgetting full sign-in buckets failed");
    }
}

/// Routes that exist only in builds for the test suites (the `test-hooks` feature, which the tests turn on
/// and a release build never has): a handler that panics, to show what a bug in a handler looks like.
#[cfg(feature = "test-hooks")]
mod test_hooks {
    #[rocket::get("/panic")]
    pub fn panic() -> &'static str {
        panic!("a forced panic from the test hook")
    }
}

/// Connects to the database, creating the SQLite file with owner-only permissions first, runs the
/// migrations, and seeds the demo organisation on first run.
async fn database_stage(rocket: Rocket<Build>) -> Result<Rocket<Build>, Rocket<Build>> {
    let (Some(settings), Some(secret)) = (rocket.state::<Settings>().cloned(), rocket.state::<ServerSecret>()) else {
        tracing::error!("settings or the server secret are missing from the managed state");
        return Err(rocket);
    };
    let secret = ServerSecret(secret.0.clone());
    match crate::setup::open_database(&settings).await {
        // With no admin yet, a one-time code lets the first one be created in the browser.
        Ok(db) => match SetupCode::for_database(&db, &secret, Clock::now()).await {
            Ok(code) => Ok(rocket.manage(db).manage(code)),
            Err(e) => {
                tracing::error!("database: {e}");
                Err(rocket)
            }
        },
        Err(e) => {
            tracing::error!("database: {e}");
            Err(rocket)
        }
    }
}
