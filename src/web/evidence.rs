//! Evidence files over HTTP: the `file` fields of the reporter's forms (plain `multipart/form-data`, read into
//! memory up to the per-file limit, never into a temporary file), the room for uploads at once, and the
//! download of a file by staff holding the report key (one route, under `/inspector` and `/api/v1`).

use std::sync::Arc;

use rocket::data::ToByteUnit;
use rocket::form::{self, DataField, FromFormField, ValueField};
use rocket::http::{ContentType, Status};
use rocket::request::{FromRequest, Outcome};
use rocket::response::{self, Responder};
use rocket::tokio::sync::{OwnedSemaphorePermit, Semaphore};
use rocket::{get, routes, Request, Response, Route, State};

use super::session::Staff;
use crate::app::evidence::{self, Download};
use crate::app::{self, casework, Clock};
use crate::config::Settings;
use crate::domain::ids::ReportId;
use crate::evidence::{Incoming, Limits, Refused};
use serde_json::{json, Value};

use super::i18n::Lang;
use super::pages;
use crate::store::Db;

pub fn routes() -> Vec<Route> {
    routes![get_attachment]
}

/// One `file` field of a form: `None` when the field came empty (no file chosen), as browsers send it.
pub struct Upload(pub Option<Incoming>);

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let size = self.0.as_ref().map(|i| i.bytes.len());
        write!(f, "Upload({size:?} bytes)")
    }
}

#[rocket::async_trait]
impl<'v> FromFormField<'v> for Upload {
    /// A URL-encoded form (or a part without a file) carries no file.
    fn from_value(_field: ValueField<'v>) -> form::Result<'v, Self> {
        Ok(Upload(None))
    }

    async fn from_data(field: DataField<'v, '_>) -> form::Result<'v, Self> {
        let limit = field
            .request
            .rocket()
            .state::<Settings>()
            .map(|s| s.attachment_limits().file_bytes)
            .unwrap_or_default();
        let name = field
            .file_name
            .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str().to_owned());
        let read = field.data.open((limit as u64 + 1).bytes()).into_bytes().await?;
        let truncated = !read.is_complete() || read.len() > limit;
        // Past the limit, nothing of the file is kept: only that it was too large.
        let bytes = if truncated { Vec::new() } else { read.into_inner() };
        if !truncated && bytes.is_empty() && name.as_deref().unwrap_or_default().is_empty() {
            return Ok(Upload(None));
        }
        Ok(Upload(Some(Incoming { name, bytes, truncated })))
    }
}

/// The files of a form, without the empty fields.
pub fn incoming(uploads: Vec<Upload>) -> Vec<Incoming> {
    uploads.into_iter().filter_map(|u| u.0).collect()
}

/// The form's file field: the limits to show and the refusals of the last attempt.
pub struct FilesContext<'a> {
    limits: Limits,
    refused: &'a [Refused],
}

impl<'a> FilesContext<'a> {
    pub fn new(settings: &Settings, refused: &'a [Refused]) -> Self {
        Self {
            limits: settings.attachment_limits(),
            refused,
        }
    }

    pub fn context(&self, lang: Lang) -> Value {
        json!({
            "hint": pages::files_hint(lang, &self.limits),
            "refused": super::error::file_refusals(lang, self.refused),
        })
    }
}

/// How many uploads are read and prepared at once (`attachments_uploads_at_once`): each holds up to the
/// per-report limit in memory, so this bounds what uploads take. A request guard, so it is taken before
/// the body is read; later uploads wait their turn.
pub struct UploadRoom(pub Arc<Semaphore>);

impl UploadRoom {
    pub fn new(at_once: usize) -> Self {
        Self(Arc::new(Semaphore::new(at_once.max(1))))
    }
}

/// A turn to upload, held until the response is ready.
pub struct UploadTurn(#[allow(dead_code)] OwnedSemaphorePermit);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for UploadTurn {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(room) = req.rocket().state::<UploadRoom>() else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        match room.0.clone().acquire_owned().await {
            Ok(permit) => Outcome::Success(UploadTurn(permit)),
            Err(_) => Outcome::Error((Status::ServiceUnavailable, ())),
        }
    }
}

/// A file for download: never shown inline, never sniffed, sandboxed if opened; its content streamed a chunk
/// at a time. A chunk that fails mid-way ends the response as an error (the body is cut short, never
/// completed), though the whole file was checked before the first byte.
pub struct FileResponse(pub Download);

/// `attachment; filename="…"; filename*=UTF-8''…`: an ASCII fallback and the safe name itself (RFC 6266).
fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    // RFC 8187's attr-char: letters, digits and these are sent as they are; everything else encoded.
    const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(name, ATTR_CHAR);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

impl<'r> Responder<'r, 'static> for FileResponse {
    fn respond_to(self, _req: &'r Request<'_>) -> response::Result<'static> {
        let meta = self.0.view.meta.clone();
        let pieces = rocket::futures::stream::unfold(self.0, |mut download| async move {
            let piece = download.next().await?;
            let piece = piece
                .map(std::io::Cursor::new)
                .map_err(|_| std::io::Error::other("the stored file failed its integrity check"));
            Some((piece, download))
        });
        let content_type = ContentType::parse_flexible(meta.kind.mime()).unwrap_or(ContentType::Binary);
        Response::build()
            .header(content_type)
            .raw_header("Content-Disposition", disposition(&meta.name))
            .raw_header("Content-Security-Policy", super::headers::DOWNLOAD_POLICY)
            .streamed_body(tokio_util::io::StreamReader::new(pieces))
            .ok()
    }
}

/// Downloads one file of a case the caller may read and holds the key of; the download is a ledger entry.
#[get("/cases/<id>/attachments/<attachment>")]
async fn get_attachment(staff: Staff, db: &State<Db>, id: &str, attachment: &str) -> app::Result<FileResponse> {
    let (_, opened) = casework::open_case(db, &staff, &ReportId::from(id)).await?;
    let download = evidence::download(db, &staff, &opened, attachment, Clock::now()).await?;
    Ok(FileResponse(download))
}
