//! Evidence files: what a reporter may attach, how its type is known (from its content, never its name or
//! the type the browser declared), its name made safe, and its metadata stripped before it is sealed.
//!
//! Pure code: bytes in, bytes out; no I/O. The formats are parsed by crates made for them (`strip.rs`).

mod strip;

use serde::{Deserialize, Serialize};

pub use strip::{strip, Stripped, MAX_EXPANDED};

/// The allowed types. Anything else is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
    Pdf,
    Docx,
    Xlsx,
    Odt,
    Mp3,
    M4a,
    Ogg,
    Wav,
    Mp4,
    Text,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Jpeg,
        Kind::Png,
        Kind::Webp,
        Kind::Pdf,
        Kind::Docx,
        Kind::Xlsx,
        Kind::Odt,
        Kind::Mp3,
        Kind::M4a,
        Kind::Ogg,
        Kind::Wav,
        Kind::Mp4,
        Kind::Text,
    ];

    /// The media type a download is labelled with.
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
            Kind::Pdf => "application/pdf",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Kind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Kind::Odt => "application/vnd.oasis.opendocument.text",
            Kind::Mp3 => "audio/mpeg",
            Kind::M4a => "audio/mp4",
            Kind::Ogg => "audio/ogg",
            Kind::Wav => "audio/wav",
            Kind::Mp4 => "video/mp4",
            Kind::Text => "text/plain; charset=utf-8",
        }
    }

    /// The extension a stored file's name is given, whatever name it came with.
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
            Kind::Webp => "webp",
            Kind::Pdf => "pdf",
            Kind::Docx => "docx",
            Kind::Xlsx => "xlsx",
            Kind::Odt => "odt",
            Kind::Mp3 => "mp3",
            Kind::M4a => "m4a",
            Kind::Ogg => "ogg",
            Kind::Wav => "wav",
            Kind::Mp4 => "mp4",
            Kind::Text => "txt",
        }
    }
}

/// The type of `bytes` from their content alone: magic numbers (the `infer` crate), or UTF-8 text without
/// control characters. `None`: not a type on the list.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    if let Some(found) = infer::get(bytes) {
        return match found.mime_type() {
            "image/jpeg" => Some(Kind::Jpeg),
            "image/png" => Some(Kind::Png),
            "image/webp" => Some(Kind::Webp),
            "application/pdf" => Some(Kind::Pdf),
            // Which office document a zip holds is read from its entries (`infer` guesses from their order).
            "application/zip"
            | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            | "application/vnd.oasis.opendocument.text" => office_kind(bytes),
            "audio/mpeg" => Some(Kind::Mp3),
            "audio/m4a" => Some(Kind::M4a),
            // An Ogg stream of Opus (a phone's voice note) is an OGG file too; `infer` names it apart.
            "audio/ogg" | "audio/opus" => Some(Kind::Ogg),
            "audio/x-wav" => Some(Kind::Wav),
            "video/mp4" => Some(Kind::Mp4),
            _ => None,
        };
    }
    is_plain_text(bytes).then_some(Kind::Text)
}

/// A zip is a Word document when it has `[Content_Types].xml` and `word/document.xml`, a workbook with
/// `xl/workbook.xml`, an ODF text when its `mimetype` entry says so; any other zip is not allowed. Only the
/// central directory and that one small entry are read.
fn office_kind(bytes: &[u8]) -> Option<Kind> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let has = |archive: &zip::ZipArchive<_>, name: &str| archive.index_for_name(name).is_some();
    if has(&archive, "[Content_Types].xml") {
        if has(&archive, "word/document.xml") {
            return Some(Kind::Docx);
        }
        if has(&archive, "xl/workbook.xml") {
            return Some(Kind::Xlsx);
        }
        return None;
    }
    let mut mimetype = String::new();
    archive
        .by_name("mimetype")
        .ok()?
        .take(64)
        .read_to_string(&mut mimetype)
        .ok()?;
    (mimetype.trim() == "application/vnd.oasis.opendocument.text").then_some(Kind::Odt)
}

fn is_plain_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|text| {
        text.chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
    })
}

/// The longest stored file name, in characters, extension included.
pub const NAME_MAX: usize = 100;

/// A safe file name: the last component of what the browser sent (no directories), without control,
/// bidirectional-override or reserved characters, leading dots or trailing dots and spaces, at most
/// [`NAME_MAX`] characters, and the extension of the type the content is (`report.pdf.exe` holding a PDF
/// becomes `report.pdf.pdf`; a name with nothing left becomes `file`).
pub fn safe_name(raw: Option<&str>, kind: Kind) -> String {
    let shown = shown_name(raw);
    let cleaned = shown.as_str();
    let stem = match cleaned.rsplit_once('.') {
        Some((stem, ext)) if ext.eq_ignore_ascii_case(kind.extension()) => stem,
        Some((stem, ext)) if is_known_extension(ext) => stem,
        _ => cleaned,
    };
    let extension = kind.extension();
    let room = NAME_MAX - extension.len() - 1;
    let stem: String = stem.chars().take(room).collect();
    // Trimmed after the cut too: a name whose first characters are all spaces and dots would otherwise be
    // left as ".png" (found by the `evidence_name` fuzz target).
    let stem = stem.trim_end_matches(['.', ' ']);
    let stem = if stem.is_empty() { "file" } else { stem };
    format!("{stem}.{extension}")
}

/// The name as the browser sent it, made safe to show (in a refusal): the last component, without control,
/// bidirectional-override or reserved characters, leading dots or trailing dots and spaces, at most
/// [`NAME_MAX`] characters.
pub fn shown_name(raw: Option<&str>) -> String {
    let raw = raw.unwrap_or_default();
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c) && !matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*'))
        .take(4 * NAME_MAX)
        .collect();
    // Leading dots and spaces in any order (". . x" would keep its spaces after a dot), and trailing ones.
    let cleaned = cleaned
        .trim_start_matches(|c: char| c.is_whitespace() || c == '.')
        .trim_end_matches(|c: char| c.is_whitespace() || c == '.');
    cleaned.chars().take(NAME_MAX).collect()
}

fn is_known_extension(ext: &str) -> bool {
    Kind::ALL.iter().any(|k| ext.eq_ignore_ascii_case(k.extension()))
        || ["jpeg", "text", "htm", "html", "exe", "js", "svg", "zip"]
            .iter()
            .any(|e| ext.eq_ignore_ascii_case(e))
}

/// Unicode's explicit embedding, override and isolate controls, with which `gpj.exe` reads as `exe.jpg`.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{061c}')
}

/// The limits on what one report (or one reply) may carry. Settings (`attachments_*`) with these defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub files: usize,
    pub file_bytes: usize,
    pub total_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            files: 10,
            file_bytes: 20 << 20,
            total_bytes: 50 << 20,
        }
    }
}

/// Why a file was refused. Each has a message in both languages (`file-error-*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than the limit")]
    TooLarge,
    #[error("more files than the limit")]
    TooMany,
    #[error("the files together are larger than the limit")]
    TotalTooLarge,
    #[error("the content is not one of the allowed types")]
    NotAllowed,
    #[error("the file is damaged or not what its type says")]
    Damaged,
    #[error("the archive expands to more than the limit")]
    Bomb,
    #[error("the file is password-protected")]
    Encrypted,
}

impl FileError {
    /// The Fluent message id of this error.
    pub fn message_key(self) -> &'static str {
        match self {
            FileError::Empty => "file-error-empty",
            FileError::TooLarge => "file-error-too-large",
            FileError::TooMany => "file-error-too-many",
            FileError::TotalTooLarge => "file-error-total-too-large",
            FileError::NotAllowed => "file-error-not-allowed",
            FileError::Damaged => "file-error-damaged",
            FileError::Bomb => "file-error-bomb",
            FileError::Encrypted => "file-error-encrypted",
        }
    }

    pub fn id(self) -> &'static str {
        self.message_key().trim_start_matches("file-error-")
    }
}

/// A file as it arrived: the name the browser gave (untrusted, used only to make the safe name) and the
/// bytes, or how much too large it was (the bytes past the limit were not kept).
#[derive(Debug)]
pub struct Incoming {
    pub name: Option<String>,
    pub bytes: Vec<u8>,
    /// The upload went past the per-file limit; `bytes` holds only its beginning.
    pub truncated: bool,
}

/// A file ready to seal: typed, named safely, its metadata stripped.
#[derive(Debug)]
pub struct Evidence {
    pub name: String,
    pub kind: Kind,
    pub bytes: Vec<u8>,
    /// What was taken out (`removed-*` message ids without the prefix), in the order found, once each.
    pub removed: Vec<&'static str>,
    /// What could not be taken out (`kept-*`), if anything may remain.
    pub kept: Option<&'static str>,
}

/// Checks, types, names and strips one file.
pub fn prepare(incoming: Incoming, limits: &Limits) -> Result<Evidence, FileError> {
    if incoming.truncated || incoming.bytes.len() > limits.file_bytes {
        return Err(FileError::TooLarge);
    }
    if incoming.bytes.is_empty() {
        return Err(FileError::Empty);
    }
    let kind = sniff(&incoming.bytes).ok_or(FileError::NotAllowed)?;
    let name = safe_name(incoming.name.as_deref(), kind);
    let bytes = incoming.bytes;
    // A parser's panic on a hostile file is that file's refusal, not the request's failure.
    let stripped = std::panic::catch_unwind(move || strip(kind, bytes)).map_err(|_| FileError::Damaged)??;
    if stripped.bytes.len() > limits.file_bytes {
        return Err(FileError::TooLarge);
    }
    Ok(Evidence {
        name,
        kind,
        bytes: stripped.bytes,
        removed: stripped.removed,
        kept: stripped.kept,
    })
}

/// One refused file: its position among the uploads (from 1), its safe name and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub position: usize,
    pub name: String,
    pub error: FileError,
}

/// Prepares every file of one report or reply, and refuses them all together when the count or the total
/// is over the limits. All refusals are returned at once, so the reporter can mend every file in one go.
pub fn prepare_all(incoming: Vec<Incoming>, limits: &Limits) -> Result<Vec<Evidence>, Vec<Refused>> {
    let raw_name = |i: &Incoming| shown_name(i.name.as_deref());
    if incoming.len() > limits.files {
        let refused = Refused {
            position: limits.files + 1,
            name: incoming.get(limits.files).map(raw_name).unwrap_or_default(),
            error: FileError::TooMany,
        };
        return Err(vec![refused]);
    }
    let total: usize = incoming.iter().map(|i| i.bytes.len()).sum();
    if total > limits.total_bytes {
        let refused = Refused {
            position: 1,
            name: String::new(),
            error: FileError::TotalTooLarge,
        };
        return Err(vec![refused]);
    }
    let mut ready = Vec::new();
    let mut refused = Vec::new();
    for (index, file) in incoming.into_iter().enumerate() {
        let name = raw_name(&file);
        match prepare(file, limits) {
            Ok(evidence) => ready.push(evidence),
            Err(error) => refused.push(Refused {
                position: index + 1,
                name,
                error,
            }),
        }
    }
    if refused.is_empty() {
        Ok(ready)
    } else {
        Err(refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_directories_controls_and_take_the_content_s_extension() {
        let cases = [
            (Some("../../etc/passwd"), Kind::Text, "passwd.txt"),
            (Some("C:\\Users\\an\\Desktop\\biên lai.jpg"), Kind::Jpeg, "biên lai.jpg"),
            (Some("invoice.jpg"), Kind::Pdf, "invoice.pdf"),
            (Some("report.pdf.exe"), Kind::Pdf, "report.pdf.pdf"),
            (Some("evil\u{202e}gpj.exe"), Kind::Png, "evilgpj.png"),
            (Some("a\u{0}b\r\nc.txt"), Kind::Text, "abc.txt"),
            (Some("..."), Kind::Text, "file.txt"),
            (Some(".hidden"), Kind::Text, "hidden.txt"),
            (Some("<script>.docx"), Kind::Docx, "script.docx"),
            (None, Kind::Mp3, "file.mp3"),
            (Some("x."), Kind::Wav, "x.wav"),
        ];
        for (raw, kind, expected) in cases {
            assert_eq!(safe_name(raw, kind), expected, "{raw:?}");
        }
        let long = "ả".repeat(500);
        let name = safe_name(Some(&long), Kind::Pdf);
        assert_eq!(name.chars().count(), NAME_MAX);
        assert!(name.ends_with(".pdf"));
        // Found by the `evidence_name` fuzz target: spaces and dots up to the cut, the rest cut off.
        assert_eq!(safe_name(Some(&format!(".{}x", " ".repeat(97))), Kind::Png), "x.png");
        assert_eq!(safe_name(Some(&format!("x{}y", " ".repeat(120))), Kind::Png), "x.png");
        let found = include_bytes!("regressions/name-all-spaces-before-the-cut.bin");
        let name = safe_name(Some(&String::from_utf8_lossy(&found[1..])), Kind::Png);
        assert!(!name.starts_with('.') && name.ends_with(".png"), "{name:?}");
    }

    #[test]
    fn the_type_comes_from_the_content() {
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"), None);
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff"), None);
        assert_eq!(sniff("Biên bản họp ngày 3/5\n".as_bytes()), Some(Kind::Text));
        assert_eq!(sniff(b"binary\0junk"), None);
        assert_eq!(sniff(b"%PDF-1.4\n"), Some(Kind::Pdf));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(Kind::Png));
    }

    #[test]
    fn too_many_too_large_and_empty_files_are_refused_with_their_reason() {
        let limits = Limits {
            files: 2,
            file_bytes: 10,
            total_bytes: 15,
        };
        let text = |name: &str, bytes: &[u8]| Incoming {
            name: Some(name.into()),
            bytes: bytes.to_vec(),
            truncated: false,
        };
        let ok = prepare_all(vec![text("a.txt", b"hello")], &limits).expect("one small file passes");
        assert_eq!(ok[0].name, "a.txt");
        let many = vec![text("a", b"1"), text("b", b"2"), text("c", b"3")];
        assert_eq!(prepare_all(many, &limits).unwrap_err()[0].error, FileError::TooMany);
        let total = vec![text("a", b"123456789"), text("b", b"123456789")];
        assert_eq!(
            prepare_all(total, &limits).unwrap_err()[0].error,
            FileError::TotalTooLarge
        );
        let mixed = vec![text("empty.txt", b""), text("big.txt", b"12345678901")];
        let refused = prepare_all(mixed, &limits).unwrap_err();
        assert_eq!(
            refused.iter().map(|r| (r.position, r.error)).collect::<Vec<_>>(),
            [(1, FileError::Empty), (2, FileError::TooLarge)]
        );
    }
}
