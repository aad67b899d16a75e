//! Evidence files: prepared (typed, named, stripped) off the async threads, sealed in chunks under the
//! report key with the report or reply that brings them, listed and downloaded by those who hold the key.
//! A download is checked whole before its first byte is sent, and every download is a ledger entry.

use serde::{Deserialize, Serialize};

use crate::crypto::{self, aad, FileOpener, FileSealer, ReportKey};
use crate::domain::ids::ReportId;
use crate::evidence::{self, Evidence, Incoming, Kind, Limits};
use crate::store::attachments::{self, NewAttachment, StoredAttachment};
use crate::store::Db;

use super::reporting::Opened;
use super::{Actor, Clock, Error, Result};

/// Types, names and strips the files of one report or reply, on a blocking thread (the parsers are CPU
/// work). Every refusal at once: [`Error::InvalidFiles`].
pub async fn prepare(incoming: Vec<Incoming>, limits: Limits) -> Result<Vec<Evidence>> {
    if incoming.is_empty() {
        return Ok(Vec::new());
    }
    tokio::task::spawn_blocking(move || evidence::prepare_all(incoming, &limits))
        .await
        .map_err(|_| Error::Internal("preparing evidence files"))?
        .map_err(Error::InvalidFiles)
}

/// What is known of a stored file, sealed under the report key beside its chunks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttachmentMeta {
    pub name: String,
    pub kind: Kind,
    pub size: u64,
    pub removed: Vec<String>,
    pub kept: Option<String>,
}

impl AttachmentMeta {
    fn of(file: &Evidence) -> Self {
        Self {
            name: file.name.clone(),
            kind: file.kind,
            size: file.bytes.len() as u64,
            removed: file.removed.iter().map(|r| (*r).to_owned()).collect(),
            kept: file.kept.map(str::to_owned),
        }
    }
}

/// The files to store with a report (or with message `message_id`), each sealed as its chunks are written.
pub fn seal<'a>(
    key: &ReportKey,
    report: &ReportId,
    message_id: Option<&str>,
    files: &'a [Evidence],
) -> Vec<NewAttachment<FileSealer<'a>>> {
    files
        .iter()
        .zip(0..)
        .map(|(file, position)| {
            let id = crypto::random_id();
            let meta = serde_json::to_vec(&AttachmentMeta::of(file)).unwrap_or_default();
            let sealer = FileSealer::new(key, &aad::attachment(report, &id), &file.bytes);
            NewAttachment {
                meta: crypto::seal(key, &aad::attachment_meta(report, &id), &meta),
                nonce: sealer.nonce().to_vec(),
                chunks: sealer,
                message_id: message_id.map(str::to_owned),
                position,
                id,
            }
        })
        .collect()
}

/// A stored file as a reader with the key sees it.
#[derive(Debug, Clone)]
pub struct AttachmentView {
    pub id: String,
    pub message_id: Option<String>,
    pub created_at: i64,
    pub meta: AttachmentMeta,
}

fn open_meta(key: &ReportKey, stored: &StoredAttachment) -> Result<AttachmentView> {
    let plain = crypto::open(key, &aad::attachment_meta(&stored.report_id, &stored.id), &stored.meta)
        .map_err(|_| Error::Corrupt("attachment description"))?;
    let meta = serde_json::from_slice(&plain).map_err(|_| Error::Corrupt("attachment description"))?;
    Ok(AttachmentView {
        id: stored.id.clone(),
        message_id: stored.message_id.clone(),
        created_at: stored.created_at,
        meta,
    })
}

/// The report's files, oldest first.
pub async fn list(db: &Db, opened: &Opened) -> Result<Vec<AttachmentView>> {
    let stored = attachments::list_for_report(db.pool(), &opened.report.id).await?;
    stored.iter().map(|s| open_meta(opened.key(), s)).collect()
}

/// A file being downloaded: its description, then its content a chunk at a time ([`Download::next`]).
pub struct Download {
    pub view: AttachmentView,
    db: Db,
    stored: StoredAttachment,
    key: ReportKey,
    opener: Option<FileOpener>,
    next: i64,
}

impl Download {
    fn opener(&self) -> Result<FileOpener> {
        let context = aad::attachment(&self.stored.report_id, &self.stored.id);
        FileOpener::new(&self.key, &context, &self.stored.nonce).map_err(|_| Error::DamagedFile)
    }

    /// The next piece of the content, `None` after the last. A chunk missing or failing to open is
    /// [`Error::DamagedFile`]: the caller must end the response as failed, never as complete.
    pub async fn next(&mut self) -> Option<Result<Vec<u8>>> {
        if self.next >= self.stored.chunks {
            return None;
        }
        if self.opener.is_none() {
            match self.opener() {
                Ok(opener) => self.opener = Some(opener),
                Err(e) => return Some(Err(e)),
            }
        }
        let seq = self.next;
        self.next += 1;
        let sealed = match attachments::chunk(self.db.pool(), &self.stored.id, seq).await {
            Ok(Some(sealed)) => sealed,
            Ok(None) => return Some(Err(Error::DamagedFile)),
            Err(e) => return Some(Err(e.into())),
        };
        let last = seq + 1 == self.stored.chunks;
        let opener = self.opener.as_mut()?;
        Some(
            opener
                .open_chunk(&sealed, last)
                .map(|plain| plain.to_vec())
                .map_err(|_| Error::DamagedFile),
        )
    }

    /// Reads every chunk once, discarding the content: a damaged file fails here, before anything is sent.
    async fn verify(&mut self) -> Result<()> {
        while let Some(piece) = self.next().await {
            piece?;
        }
        self.next = 0;
        self.opener = None;
        Ok(())
    }
}

/// Opens file `attachment` of an opened case for `actor`: checked whole, then recorded in the ledger
/// (who, which file), then handed back ready to stream.
pub async fn download(db: &Db, actor: &Actor, opened: &Opened, attachment: &str, clock: Clock) -> Result<Download> {
    let stored = attachments::find(db.pool(), &opened.report.id, attachment)
        .await?
        .ok_or(Error::NotFound)?;
    let view = open_meta(opened.key(), &stored)?;
    let mut download = Download {
        view,
        db: db.clone(),
        stored,
        key: opened.key().clone(),
        opener: None,
        next: 0,
    };
    download.verify().await?;
    attachments::record_download(
        db.pool(),
        &opened.report.id,
        attachment,
        actor.user.id.as_str(),
        clock.millis(),
    )
    .await?;
    Ok(download)
}
