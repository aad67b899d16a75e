//! Metadata stripping, one container at a time, each with a crate made for it; the content itself (image
//! data, pages, text, sound) is copied, never re-encoded.
//!
//! - JPEG (img-parts): every APPn segment but JFIF (APP0) and Adobe's colour transform (APP14), and comments:
//!   EXIF (GPS, camera, owner, times), XMP, IPTC/Photoshop, ICC profiles, maker and vendor segments.
//! - PNG (img-parts): every chunk not needed to draw the image (an allow-list): text, eXIf, tIME, iCCP, and
//!   private chunks.
//! - WebP (img-parts): EXIF, XMP and ICC chunks, and any chunk not needed to draw the image.
//! - PDF (lopdf): the document information dictionary, the file identifiers, every XMP `/Metadata` stream
//!   and `/PieceInfo` (application data); earlier revisions (incremental updates) are dropped, as the file
//!   is written anew with only the objects still referenced. Password-protected files are refused.
//! - DOCX/XLSX/ODT (zip): core, app and custom properties (OOXML) and `meta.xml` (ODF) replaced by empty
//!   ones; the archive written anew, without its comment, entry times, extra fields (owner ids) or
//!   anything past the allowed expansion ([`MAX_EXPANDED`]: a zip bomb is refused, not unpacked).
//! - MP3/M4A/OGG/WAV/MP4 (lofty): every tag (ID3v1, ID3v2, APE, MP4 ilst, Vorbis comments, RIFF INFO).
//!   MP4 video may carry more (location and device atoms outside the tags): it is marked as such.
//! - Plain text: nothing to strip.

use std::io::{Cursor, Read, Write};

use img_parts::jpeg::{markers, Jpeg};
use img_parts::png::Png;
use img_parts::webp::WebP;
use img_parts::Bytes;

use super::{FileError, Kind};

/// The most an OOXML/ODF archive may expand to while it is rewritten.
pub const MAX_EXPANDED: usize = 100 << 20;
/// The most entries an OOXML/ODF archive may have.
const MAX_ENTRIES: usize = 10_000;

/// A file without its metadata, with what was removed and what may remain.
#[derive(Debug)]
pub struct Stripped {
    pub bytes: Vec<u8>,
    pub removed: Vec<&'static str>,
    pub kept: Option<&'static str>,
}

#[derive(Default)]
struct Removed(Vec<&'static str>);

impl Removed {
    fn add(&mut self, what: &'static str) {
        if !self.0.contains(&what) {
            self.0.push(what);
        }
    }
}

/// Strips the metadata of a file of type `kind` (as [`super::sniff`] found it). A file that its parser
/// cannot read is [`FileError::Damaged`].
pub fn strip(kind: Kind, bytes: Vec<u8>) -> Result<Stripped, FileError> {
    let mut removed = Removed::default();
    let mut kept = None;
    let bytes = match kind {
        Kind::Jpeg => jpeg(bytes, &mut removed)?,
        Kind::Png => png(bytes, &mut removed)?,
        Kind::Webp => webp(bytes, &mut removed)?,
        Kind::Pdf => pdf(&bytes, &mut removed)?,
        Kind::Docx | Kind::Xlsx | Kind::Odt => office(&bytes, &mut removed)?,
        Kind::Mp3 | Kind::M4a | Kind::Ogg | Kind::Wav => audio(bytes, &mut removed, &mut kept)?,
        Kind::Mp4 => {
            kept = Some("video-atoms");
            audio(bytes, &mut removed, &mut kept)?
        }
        Kind::Text => bytes,
    };
    // What comes out must still be what went in.
    if super::sniff(&bytes) != Some(kind) {
        return Err(FileError::Damaged);
    }
    Ok(Stripped {
        bytes,
        removed: removed.0,
        kept,
    })
}

fn jpeg(bytes: Vec<u8>, removed: &mut Removed) -> Result<Vec<u8>, FileError> {
    let mut jpeg = Jpeg::from_bytes(Bytes::from(bytes)).map_err(|_| FileError::Damaged)?;
    jpeg.segments_mut().retain(|segment| {
        let contents = segment.contents();
        let what = match segment.marker() {
            markers::APP0 | markers::APP14 => return true,
            markers::APP1 if contents.starts_with(b"Exif\0") => "exif",
            markers::APP1 if contents.starts_with(b"http://ns.adobe.com/xap/") => "xmp",
            markers::APP1 if contents.starts_with(b"http://ns.adobe.com/xmp/extension/") => "xmp",
            markers::APP2 if contents.starts_with(b"ICC_PROFILE\0") => "icc",
            markers::APP13 => "iptc",
            markers::COM => "comment",
            0xE1..=0xED | markers::APP15 => "other",
            _ => return true,
        };
        removed.add(what);
        false
    });
    Ok(jpeg.encoder().bytes().to_vec())
}

/// The PNG chunks needed to draw the image as its author meant; every other is removed.
const PNG_KEPT: [&[u8; 4]; 14] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD", b"pHYs", b"acTL",
    b"fcTL", b"fdAT",
];

fn png(bytes: Vec<u8>, removed: &mut Removed) -> Result<Vec<u8>, FileError> {
    let mut png = Png::from_bytes(Bytes::from(bytes)).map_err(|_| FileError::Damaged)?;
    png.chunks_mut().retain(|chunk| {
        let kind = chunk.kind();
        if PNG_KEPT.contains(&&kind) {
            return true;
        }
        removed.add(match &kind {
            b"tEXt" | b"zTXt" | b"iTXt" => "text",
            b"eXIf" => "exif",
            b"tIME" => "timestamp",
            b"iCCP" => "icc",
            _ => "other",
        });
        false
    });
    Ok(png.encoder().bytes().to_vec())
}

fn webp(bytes: Vec<u8>, removed: &mut Removed) -> Result<Vec<u8>, FileError> {
    use img_parts::webp::{CHUNK_ALPH, CHUNK_ANIM, CHUNK_ANMF, CHUNK_VP8, CHUNK_VP8L, CHUNK_VP8X};
    use img_parts::{ImageEXIF, ImageICC};
    let mut webp = WebP::from_bytes(Bytes::from(bytes)).map_err(|_| FileError::Damaged)?;
    let mut found = Removed::default();
    for chunk in webp.chunks() {
        match chunk.id() {
            CHUNK_VP8 | CHUNK_VP8L | CHUNK_VP8X | CHUNK_ALPH | CHUNK_ANIM | CHUNK_ANMF => {}
            id => found.add(match &id {
                b"EXIF" => "exif",
                b"XMP " => "xmp",
                b"ICCP" => "icc",
                _ => "other",
            }),
        }
    }
    // Through img-parts' own setters, which also clear the matching flags of the VP8X header.
    webp.set_exif(None);
    webp.set_icc_profile(None);
    webp.chunks_mut().retain(|chunk| {
        matches!(
            chunk.id(),
            CHUNK_VP8 | CHUNK_VP8L | CHUNK_VP8X | CHUNK_ALPH | CHUNK_ANIM | CHUNK_ANMF
        )
    });
    clear_webp_metadata_flags(&mut webp);
    for what in found.0 {
        removed.add(what);
    }
    Ok(webp.encoder().bytes().to_vec())
}

/// VP8X's first byte says which optional chunks follow: ICC (0x20), EXIF (0x08), XMP (0x04). They are gone.
fn clear_webp_metadata_flags(webp: &mut WebP) {
    use img_parts::riff::RiffContent;
    for chunk in webp.chunks_mut() {
        if chunk.id() != img_parts::webp::CHUNK_VP8X {
            continue;
        }
        if let RiffContent::Data(data) = chunk.content_mut() {
            if let Some(first) = data.first() {
                let mut header = data.to_vec();
                header[0] = first & !(0x20 | 0x08 | 0x04);
                *data = Bytes::from(header);
            }
        }
    }
}

/// A PDF is written anew until a pass finds nothing more to remove (a damaged file that lopdf reads by
/// recovery can keep metadata in places a first pass does not see, such as a cross-reference stream's
/// dictionary): at most three passes, else the file is refused as damaged.
fn pdf(bytes: &[u8], removed: &mut Removed) -> Result<Vec<u8>, FileError> {
    let mut current = pdf_pass(bytes, removed)?;
    for _ in 0..2 {
        let mut found = Removed::default();
        let next = pdf_pass(&current, &mut found)?;
        if found.0.is_empty() {
            return Ok(current);
        }
        for what in found.0 {
            removed.add(what);
        }
        current = next;
    }
    Err(FileError::Damaged)
}

fn pdf_pass(bytes: &[u8], removed: &mut Removed) -> Result<Vec<u8>, FileError> {
    use lopdf::{Document, Object};
    let mut document = Document::load_mem(bytes).map_err(|e| match e {
        lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => FileError::Encrypted,
        _ => FileError::Damaged,
    })?;
    if document.is_encrypted() || document.trailer.has(b"Encrypt") {
        return Err(FileError::Encrypted);
    }
    if document.trailer.remove(b"Info").is_some() {
        removed.add("document-info");
    }
    if document.trailer.remove(b"ID").is_some() {
        removed.add("document-id");
    }
    // Cross-reference streams are the file's old structure (lopdf writes its own): their dictionaries are
    // trailers, with /Info and /ID of their own.
    document.objects.retain(|_, object| {
        let dictionary = match object {
            Object::Stream(stream) => &stream.dict,
            Object::Dictionary(dictionary) => dictionary,
            _ => return true,
        };
        let is_xref = dictionary
            .get(b"Type")
            .and_then(Object::as_name)
            .is_ok_and(|t| t == b"XRef");
        if is_xref && dictionary.has(b"Info") {
            removed.add("document-info");
        }
        !is_xref
    });
    for object in document.objects.values_mut() {
        let dictionary = match object {
            Object::Dictionary(dictionary) => dictionary,
            Object::Stream(stream) => &mut stream.dict,
            _ => continue,
        };
        if dictionary.remove(b"Metadata").is_some() {
            removed.add("xmp");
        }
        if dictionary.remove(b"PieceInfo").is_some() {
            removed.add("other");
        }
    }
    document.prune_objects();
    let mut out = Vec::with_capacity(bytes.len());
    document.save_to(&mut out).map_err(|_| FileError::Damaged)?;
    Ok(out)
}

/// Empty property parts, in place of the ones the office suite wrote.
const EMPTY_CORE: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></cp:coreProperties>"#;
const EMPTY_APP: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"></Properties>"#;
const EMPTY_CUSTOM: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"></Properties>"#;
const EMPTY_ODF_META: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.2"><office:meta/></office:document-meta>"#;

fn empty_part(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "docProps/core.xml" => Some((EMPTY_CORE, "core-properties")),
        "docProps/app.xml" => Some((EMPTY_APP, "app-properties")),
        "docProps/custom.xml" => Some((EMPTY_CUSTOM, "custom-properties")),
        "meta.xml" => Some((EMPTY_ODF_META, "document-meta")),
        _ => None,
    }
}

fn office(bytes: &[u8], removed: &mut Removed) -> Result<Vec<u8>, FileError> {
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};
    let damaged = |_| FileError::Damaged;
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(damaged)?;
    if archive.len() > MAX_ENTRIES {
        return Err(FileError::Bomb);
    }
    if !archive.comment().is_empty() {
        removed.add("archive-comment");
    }
    let mut out = ZipWriter::new(Cursor::new(Vec::with_capacity(bytes.len())));
    let mut budget = MAX_EXPANDED;
    let mut data = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(damaged)?;
        if entry.encrypted() {
            return Err(FileError::Encrypted);
        }
        let name = entry.name().map_err(damaged)?.into_owned();
        data.clear();
        // Read at most what is left of the budget, whatever size the entry declares.
        let read = (&mut entry)
            .take(budget as u64 + 1)
            .read_to_end(&mut data)
            .map_err(|_| FileError::Damaged)?;
        if read > budget {
            return Err(FileError::Bomb);
        }
        budget -= read;
        drop(entry);
        if name.ends_with('/') {
            out.add_directory(
                name,
                SimpleFileOptions::default().last_modified_time(DateTime::default()),
            )
            .map_err(damaged)?;
            continue;
        }
        // ODF's `mimetype` must stay first and stored, as the specification asks.
        let method = if name == "mimetype" {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(DateTime::default())
            .unix_permissions(0o644);
        let replacement = empty_part(&name);
        out.start_file(name, options).map_err(damaged)?;
        let written = match replacement {
            Some((empty, what)) => {
                if data != empty.as_bytes() {
                    removed.add(what);
                }
                out.write_all(empty.as_bytes())
            }
            None => out.write_all(&data),
        };
        written.map_err(|_| FileError::Damaged)?;
    }
    let cursor = out.finish().map_err(damaged)?;
    Ok(cursor.into_inner())
}

/// The items of a tag that carry metadata. The vendor string of Vorbis comments (Ogg Vorbis and Opus), which
/// lofty reads as an `EncoderSoftware` item, is not counted: every Ogg file has one, lofty keeps the file's
/// own when it writes, and it names the encoding program, not a person (said to the user as kept).
fn items(tag: &lofty::tag::Tag) -> usize {
    use lofty::tag::{ItemKey, TagType};
    let vendor = |item: &&lofty::tag::TagItem| {
        tag.tag_type() == TagType::VorbisComments && item.key() == ItemKey::EncoderSoftware
    };
    tag.items().filter(|item| !vendor(item)).count() + tag.picture_count() as usize
}

fn audio(bytes: Vec<u8>, removed: &mut Removed, kept: &mut Option<&'static str>) -> Result<Vec<u8>, FileError> {
    use lofty::config::{ParseOptions, WriteOptions};
    use lofty::file::TaggedFileExt;
    use lofty::probe::Probe;
    use lofty::tag::{ItemKey, TagType};
    let read = |file: &mut Cursor<Vec<u8>>| {
        file.set_position(0);
        Probe::new(&mut *file)
            .options(ParseOptions::new().read_properties(false))
            .guess_file_type()
            .map_err(|_| FileError::Damaged)?
            .read()
            .map_err(|_| FileError::Damaged)
    };
    // A tag lofty lists is removed, items or not (a frame it cannot map to an item is still metadata),
    // except the Vorbis comment header every Ogg file must keep (its vendor string, see `items`). Then the
    // file is read again, and what is still listed removed again: on a hostile file lofty may list a tag that
    // a removal does not take away (or that takes the content with it, which the type check in `strip` then
    // refuses). A file that still lists one after three rounds is refused, never passed on with it.
    let listed = |tag: &&lofty::tag::Tag| items(tag) > 0 || tag.tag_type() != TagType::VorbisComments;
    let mut file = Cursor::new(bytes);
    let mut clean = None;
    for _ in 0..3 {
        let tagged = read(&mut file)?;
        let present: Vec<(TagType, bool)> = tagged
            .tags()
            .iter()
            .filter(listed)
            .map(|tag| (tag.tag_type(), items(tag) > 0))
            .collect();
        if present.is_empty() {
            clean = Some(tagged);
            break;
        }
        for (tag_type, had_items) in present {
            file.set_position(0);
            tag_type
                .remove_from(&mut file, WriteOptions::default())
                .map_err(|_| FileError::Damaged)?;
            if !had_items {
                continue;
            }
            removed.add(match tag_type {
                TagType::Id3v1 => "id3v1",
                TagType::Id3v2 => "id3v2",
                TagType::Ape => "ape",
                TagType::Mp4Ilst => "mp4-tags",
                TagType::VorbisComments => "vorbis-comments",
                TagType::RiffInfo => "riff-info",
                _ => "other",
            });
        }
    }
    let after = clean.ok_or(FileError::Damaged)?;
    let vendor = |tag: &lofty::tag::Tag| tag.get_string(ItemKey::EncoderSoftware).is_some_and(|v| !v.is_empty());
    if after
        .tags()
        .iter()
        .any(|tag| tag.tag_type() == TagType::VorbisComments && vendor(tag))
    {
        kept.get_or_insert("encoder-name");
    }
    Ok(file.into_inner())
}

#[cfg(test)]
#[path = "strip_tests.rs"]
mod tests;
