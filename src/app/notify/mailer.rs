//! Sending: the mail server (lettre's SMTP client, STARTTLS by default), and the outbox worked through
//! with a lease on each mail, retries with doubling back-off, and one log line per outage.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::Notifier;
use crate::app::{Clock, Result};
use crate::config::{SetupError, Smtp};
use crate::store::notify as stored;
use crate::store::Db;

/// How long a sender holds a mail it is trying: past it, another may try (the first died mid-attempt).
const LEASE_MILLIS: i64 = 5 * 60 * 1000;
/// The longest wait between two attempts.
const MAX_BACKOFF_MILLIS: i64 = 3600 * 1000;
/// A mail not accepted within this time is given up (logged): a digest or an assignment days late is
/// noise, and the queue must not grow without bound while a server is misconfigured.
const GIVE_UP_MILLIS: i64 = 3 * 24 * 3600 * 1000;
/// Mails sent per round at most.
const BATCH: i64 = 100;

/// The mail server, and the sender every mail carries.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// The mail server's answer to a mail it accepted: its reply code and text.
#[derive(Debug, Clone)]
pub struct Answer {
    pub code: String,
    pub lines: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{0:?} is not a mail address")]
    Address(String),
    #[error("the mail could not be built: {0}")]
    Message(#[from] lettre::error::Error),
    #[error("the mail server: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

impl SendError {
    /// Whether trying again cannot help (the server refused this mail for good).
    fn is_permanent(&self) -> bool {
        match self {
            SendError::Address(_) | SendError::Message(_) => true,
            SendError::Smtp(e) => e.is_permanent(),
        }
    }
}

impl Mailer {
    pub fn new(smtp: &Smtp) -> std::result::Result<Self, SetupError> {
        let from: Mailbox = (smtp.from.parse())
            .map_err(|e| SetupError::Deployment(format!("smtp_from {:?} is not a mail address: {e}", smtp.from)))?;
        let builder = if smtp.starttls {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                .map_err(|e| SetupError::Deployment(format!("smtp_host {:?}: {e}", smtp.host)))?
        } else {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
        };
        let mut builder = builder.port(smtp.port).timeout(Some(Duration::from_secs(20)));
        if let Some((user, password)) = &smtp.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.0.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// Sends one plain-text mail and returns the server's answer.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> std::result::Result<Answer, SendError> {
        let to: Mailbox = to.parse().map_err(|_| SendError::Address(to.to_owned()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())?;
        let response = self.transport.send(message).await?;
        Ok(Answer {
            code: response.code().to_string(),
            lines: response.message().map(|l| l.to_string()).collect(),
        })
    }
}

/// Whether the mail server is failing, as this process saw it: the first failure of an outage is logged,
/// the rest of it is not, and its end is.
#[derive(Debug, Default)]
pub struct Outage {
    failures: u64,
}

impl Outage {
    fn failed(&mut self, error: &SendError) {
        if self.failures == 0 {
            tracing::warn!(error = %error, "notifications: the mail server is failing; mails wait in the outbox and are retried");
        }
        self.failures += 1;
    }

    fn answered(&mut self) {
        if self.failures > 0 {
            tracing::info!(
                failed_attempts = self.failures,
                "notifications: the mail server answers again"
            );
        }
        self.failures = 0;
    }
}

/// Sends the outbox's due mails until the server fails (the rest wait for the next round). Returns the
/// mails sent and the attempts that failed.
pub(super) async fn deliver(db: &Db, notifier: &Notifier, clock: Clock, outage: &mut Outage) -> Result<(usize, usize)> {
    let pool = db.pool();
    let now = clock.millis();
    let (mut sent, mut failed) = (0, 0);
    for mail in stored::due(pool, now, BATCH).await? {
        if !mail.active {
            stored::remove(pool, &mail.id).await?;
            continue;
        }
        if !stored::claim(pool, &mail, now + LEASE_MILLIS).await? {
            continue;
        }
        match notifier.mailer.send(&mail.to, &mail.subject, &mail.body).await {
            Ok(_) => {
                stored::remove(pool, &mail.id).await?;
                outage.answered();
                sent += 1;
            }
            Err(e) if e.is_permanent() => {
                stored::remove(pool, &mail.id).await?;
                outage.answered();
                tracing::warn!(error = %e, "notifications: the mail server refused a mail for good; it is dropped");
                failed += 1;
            }
            Err(e) => {
                outage.failed(&e);
                failed += 1;
                if now - mail.created_at > GIVE_UP_MILLIS {
                    stored::remove(pool, &mail.id).await?;
                    tracing::warn!(
                        attempts = mail.attempts + 1,
                        "notifications: a mail not sent in 3 days is dropped"
                    );
                } else {
                    let wait = notifier.retry_millis.saturating_mul(1 << mail.attempts.clamp(0, 20));
                    stored::retry(pool, &mail.id, mail.attempts + 1, now + wait.min(MAX_BACKOFF_MILLIS)).await?;
                }
                break;
            }
        }
    }
    Ok((sent, failed))
}
