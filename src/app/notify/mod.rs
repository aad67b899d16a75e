//! Staff notifications by email (issue 13): each staff member's choices (their profile page), and the
//! notifier, a background task that reads new ledger entries and queues the mails they call for
//! (`events.rs`), queues each chosen daily digest at its hour (`digest.rs`), and sends the outbox through
//! the mail server with retries and back-off (`mailer.rs`).
//!
//! Requests never wait for a mail: they write their ledger entry as always, and the notifier finds it.
//! Because the events are ledger entries, written in the transaction of the change, and the outbox is a
//! table, a crash or a restart loses no notification. What a mail may say is `domain::notice`: counts,
//! stages, dates and a sign-in link, never a report's content, unit or code.

mod digest;
mod events;
mod mailer;

use std::sync::Arc;
use std::time::Duration;

use super::{Actor, Clock, Error, Result};
use crate::config::{Settings, SetupError};
use crate::domain::notice::{Event, Notice};
use crate::domain::FieldError;
use crate::store::notify::{self as stored, Choices, Mail};
use crate::store::Db;

pub use mailer::{Answer, Mailer, Outage, SendError};

/// How mails are worded, in the recipient's language: the web layer's Fluent messages.
pub trait Wording: Send + Sync + 'static {
    /// The subject and the body of `notice` in `lang` (`vi` or `en`), the body ending with `sign_in`, the
    /// address of the sign-in page.
    fn mail(&self, lang: &str, notice: &Notice, sign_in: &str) -> (String, String);
}

/// The languages a mail can be written in.
pub const LANGUAGES: [&str; 2] = ["vi", "en"];

/// What the profile page submits.
#[derive(Debug, Default)]
pub struct ChoicesInput<'a> {
    /// Empty or absent: no mail at all (the address and choices are forgotten).
    pub email: Option<&'a str>,
    pub lang: Option<&'a str>,
    pub on_assigned: bool,
    pub on_reply: bool,
    pub on_commendation: bool,
    pub digest: bool,
    pub digest_hour: Option<&'a str>,
}

/// The signed-in staff member's choices, if they gave an address.
pub async fn choices(db: &Db, actor: &Actor) -> Result<Option<Choices>> {
    Ok(stored::choices(db.pool(), &actor.user.id).await?)
}

/// Saves the signed-in staff member's choices; an empty address turns every mail off.
pub async fn save_choices(db: &Db, actor: &Actor, input: &ChoicesInput<'_>, clock: Clock) -> Result<()> {
    let Some(email) = input.email.map(str::trim).filter(|e| !e.is_empty()) else {
        stored::delete_choices(db.pool(), &actor.user.id).await?;
        return Ok(());
    };
    if email.chars().count() > 254 || email.parse::<lettre::Address>().is_err() {
        return Err(Error::Invalid("email", FieldError::InvalidEmail));
    }
    let lang = input.lang.map(str::trim).unwrap_or("vi");
    if !LANGUAGES.contains(&lang) {
        return Err(Error::Invalid("lang", FieldError::UnknownLanguage));
    }
    let digest_hour = match input.digest_hour.map(str::trim) {
        None | Some("") => 7,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|h| (0..24).contains(h))
            .ok_or(Error::Invalid("digest_hour", FieldError::InvalidHour))?,
    };
    let choices = Choices {
        email: email.to_owned(),
        lang: lang.to_owned(),
        on_assigned: input.on_assigned,
        on_reply: input.on_reply,
        on_commendation: input.on_commendation,
        digest: input.digest,
        digest_hour,
    };
    stored::save_choices(db.pool(), &actor.user.id, &choices, clock.millis()).await?;
    Ok(())
}

/// Whether these choices ask for mail about `event`.
fn wants(choices: &Choices, event: Event) -> bool {
    match event {
        Event::Assigned => choices.on_assigned,
        Event::Reply => choices.on_reply,
        Event::Commendation => choices.on_commendation,
    }
}

/// The background task's parts: the mail server, the wording, and its timing.
pub struct Notifier {
    mailer: Mailer,
    wording: Arc<dyn Wording>,
    sign_in: String,
    poll: Duration,
    retry_millis: i64,
}

/// What one round of the notifier did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub queued: usize,
    pub sent: usize,
    pub failed: usize,
}

impl Notifier {
    /// The notifier the settings ask for: none while `smtp_host` is unset.
    pub fn configured(settings: &Settings, wording: Arc<dyn Wording>) -> std::result::Result<Option<Self>, SetupError> {
        let Some(smtp) = settings.smtp()? else {
            return Ok(None);
        };
        Ok(Some(Self {
            mailer: Mailer::new(&smtp)?,
            wording,
            sign_in: format!("{}/inspector/sign-in", settings.public_url.trim_end_matches('/')),
            poll: Duration::from_secs(u64::from(settings.notify_poll_seconds.max(1))),
            retry_millis: i64::from(settings.notify_retry_seconds.max(1)) * 1000,
        }))
    }

    /// Runs for as long as the server does: a round every `notify_poll_seconds`.
    pub async fn run(self, db: Db) {
        let mut every = tokio::time::interval(self.poll);
        let mut outage = mailer::Outage::default();
        loop {
            every.tick().await;
            if let Err(e) = self.round(&db, Clock::now(), &mut outage).await {
                tracing::warn!(error = %e, "notifications: a round failed; the next one tries again");
            }
        }
    }

    /// One round: new events and due digests queued, then the outbox sent as far as the server takes it.
    pub async fn round(&self, db: &Db, clock: Clock, outage: &mut mailer::Outage) -> Result<Round> {
        let queued = events::queue_events(db, self, clock).await? + digest::queue_digests(db, self, clock).await?;
        let (sent, failed) = mailer::deliver(db, self, clock, outage).await?;
        Ok(Round { queued, sent, failed })
    }

    /// The mail of `notice` for `user`, worded in their language, to go at once.
    fn mail(&self, user: &crate::domain::ids::UserId, choices: &Choices, notice: &Notice, clock: Clock) -> Mail {
        let (subject, body) = self.wording.mail(&choices.lang, notice, &self.sign_in);
        Mail {
            id: crate::crypto::random_id(),
            user: user.clone(),
            to: choices.email.clone(),
            subject,
            body,
            created_at: clock.millis(),
            attempts: 0,
            next_at: clock.millis(),
            active: true,
        }
    }
}

/// `minhbach notify test --to ADDRESS`: a test mail, sent at once (not through the outbox), and the mail
/// server's answer. In both languages, since the command knows no recipient's choice.
pub async fn send_test(settings: &Settings, to: &str) -> std::result::Result<Answer, TestError> {
    let smtp = settings.smtp().map_err(TestError::Setup)?.ok_or(TestError::Off)?;
    let mailer = Mailer::new(&smtp).map_err(TestError::Setup)?;
    let subject = "Minh Bạch: thư thử / test mail";
    let body = format!(
        "Máy chủ Minh Bạch gửi được thư qua {host}:{port}.\n\
         The Minh Bạch server can send mail through {host}:{port}.\n\n{url}/inspector/sign-in\n",
        host = smtp.host,
        port = smtp.port,
        url = settings.public_url.trim_end_matches('/'),
    );
    mailer.send(to, subject, &body).await.map_err(TestError::Send)
}

/// Why the test mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum TestError {
    #[error("notifications are off: set smtp_host (MINHBACH_SMTP_HOST) and smtp_from (MINHBACH_SMTP_FROM)")]
    Off,
    #[error("{0}")]
    Setup(SetupError),
    #[error("{0}")]
    Send(SendError),
}
