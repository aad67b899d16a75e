//! The use cases: what the system does, free of HTTP. Every caller goes through here — the pages and the
//! JSON API (`web`), the command line (`main.rs`) and the demo data (`demo.rs`).
//!
//! Each use case is told who acts (an [`Actor`]: a staff member with their unsealed private key, or the
//! reporter holding an [`reporting::Opened`] report) and when (a [`Clock`]), so that the demo replays
//! back-dated histories through exactly the code that serves users. Each returns [`Result`]: one
//! [`Error`] for the whole application, whose HTTP meaning is written once, in `web::error`.

pub mod accounts;
pub mod audit;
pub mod backup;
pub mod casework;
pub mod commendations;
pub mod evidence;
pub mod kdf;
pub mod lease;
pub mod notify;
pub mod org;
pub mod paging;
pub mod reporting;
pub mod retention;
pub mod sign_in;
pub mod stats;

use time::Date;

use crate::crypto::PrivateKey;
use crate::domain::calendar;
use crate::domain::staff::Role;
use crate::domain::{FieldError, FieldErrors};
use crate::store::users::User;

pub use kdf::KdfGate;

/// Why a use case did not happen. Variants say what the user did or met, never how storage or crypto
/// failed: those causes travel inside [`Error::Storage`] and [`Error::Corrupt`], to be logged, not shown.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Unknown or malformed retrieval code, or a report that does not open: all look the same from outside.
    #[error("no report matches this code")]
    CodeNotFound,
    /// No such case or commendation, or not one the caller may read: the same answer, so ids cannot be
    /// probed.
    #[error("no such case")]
    NotFound,
    /// The report was erased under the retention policy at this time (UTC milliseconds): only its stub is
    /// left, and the reporter's code says so.
    #[error("the report was erased under the retention policy")]
    Erased(i64),
    /// The caller's role may not do this.
    #[error("this role may not do this")]
    Forbidden,
    /// The caller may read the case but holds no key for it (after a password reset, before re-grant).
    #[error("no key for this case")]
    NoKey,
    /// One field is wrong.
    #[error("invalid field {0}: {1:?}")]
    Invalid(&'static str, FieldError),
    /// Several fields are wrong (a report form shows them all at once).
    #[error("invalid fields {0:?}")]
    InvalidFields(FieldErrors),
    /// Evidence files refused (type, size, count, damage): each with its position, name and reason.
    #[error("files refused: {0:?}")]
    InvalidFiles(Vec<crate::evidence::Refused>),
    /// A stored evidence file failed its integrity check (a chunk tampered with, missing or cut short):
    /// nothing of it is served.
    #[error("a stored file failed its integrity check")]
    DamagedFile,
    /// The lifecycle forbids the step, or another one happened first.
    #[error("conflict")]
    Conflict,
    /// An extension the policy does not allow any more: its type used up, or past the stage's cap.
    #[error("extension limit")]
    ExtensionLimit,
    /// The report was rated already: a rating is given once.
    #[error("already rated")]
    AlreadyRated,
    /// The report's result has not been notified yet, so it cannot be rated.
    #[error("not ratable yet")]
    NotRatable,
    /// The reporter's commendation cannot be claimed or declined now.
    #[error("nothing to claim")]
    NotClaimable,
    /// Identity was given to claim, but no active commendation officer exists to seal it to.
    #[error("no commendation officer to receive the claim")]
    NoRecipient,
    /// Wrong username, password or code: one answer for all three.
    #[error("wrong username, password or code")]
    Rejected,
    #[error("too many attempts")]
    Throttled,
    /// Too many reporters' key derivations waiting: refused at once, to be retried in a moment.
    #[error("the server is busy: try again in a moment")]
    Busy,
    /// A state-changing request that did not come from this site's own form: refused before any work.
    #[error("the form came from another site or has expired")]
    CrossSite,
    /// An operator's or admin's request that cannot be carried out, said in words (the command line prints
    /// it).
    #[error("{0}")]
    Refused(String),
    /// An account that cannot be added, changed or disabled as asked.
    #[error("{0}")]
    Staff(#[from] crate::domain::staff::StaffRefusal),
    #[error("the ledger is broken at entry #{seq}: {reason}")]
    LedgerBroken { seq: i64, reason: &'static str },
    #[error(
        "the ledger verifies, but the deadline clocks of {reports} report(s) do not match it (first: {first}); \
         queues and on-time figures would be wrong"
    )]
    ClockMismatch { reports: usize, first: String },
    #[error("storage: {0}")]
    Storage(sqlx::Error),
    /// The server failed at something that is not the user's doing nor storage (a key derivation that could
    /// not run): what, for the log.
    #[error("internal failure: {0}")]
    Internal(&'static str),
    /// Stored data that does not decrypt or decode: which kind, for the log.
    #[error("stored data does not decrypt or decode: {0}")]
    Corrupt(&'static str),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A row that does not decode (an unknown stored status, a malformed id) is corrupt data, the server's
/// fault (500, logged). A value the database refuses as data (SQLSTATE class 22: a NUL byte in a text,
/// PostgreSQL's 22021) came from the request: invalid input (422), not a fault (issue #11, D5). Anything
/// else from the database is storage trouble (503).
impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::Decode(_) | sqlx::Error::ColumnDecode { .. } => {
                tracing::error!(error = %e, "a stored row does not decode");
                Error::Corrupt("stored row")
            }
            // A write into a report erased a moment ago (store::reports::lock_unerased).
            sqlx::Error::Protocol(ref what) if what == crate::store::reports::ERASED => {
                Error::Erased(crate::store::now_millis())
            }
            sqlx::Error::Database(ref db) if db.code().is_some_and(|c| c.starts_with("22")) => {
                Error::Invalid("input", FieldError::WrongType)
            }
            other => {
                crate::store::note_fault(&other);
                Error::Storage(other)
            }
        }
    }
}

/// The instant a use case acts at, in milliseconds since the epoch. A request acts now; the demo acts at
/// the back-dated time of each step of its simulated history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock(i64);

impl Clock {
    pub fn now() -> Self {
        Self(crate::store::now_millis())
    }

    pub fn at(millis: i64) -> Self {
        Self(millis)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// The calendar day in Vietnam at this instant.
    pub fn today(self) -> Date {
        calendar::local_date(self.0)
    }
}

/// A staff member who acts: the account and the private key unsealed at sign-in, which opens their
/// grants.
pub struct Actor {
    pub user: User,
    pub private_key: PrivateKey,
}

impl Actor {
    /// The actor, if their account is active and has `role`; else [`Error::Forbidden`], before any work.
    pub fn as_role(&self, role: Role) -> Result<&Actor> {
        if self.user.active && self.user.role == role {
            Ok(self)
        } else {
            Err(Error::Forbidden)
        }
    }
}
