//! The stripper on fixtures made here, one per container not covered by tests/suite/evidence.rs (which
//! reads JPEG, PNG, PDF, DOCX and MP3 with exiftool), and the fuzz target's regressions.

use super::*;
use crate::evidence::{prepare, Incoming, Limits};

const CANARY: &[u8] = b"MinhbachCanary";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What a file holds, as bytes to search: an archive's entries decompressed, any other file as it is.
fn readable(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return bytes.to_vec();
    };
    let mut all = Vec::new();
    for index in 0..archive.len() {
        archive
            .by_index(index)
            .expect("entry")
            .read_to_end(&mut all)
            .expect("read");
    }
    all
}

/// A fixture through `prepare`: its type, what was removed, and that the canary is gone from what it holds.
fn stripped(name: &str, bytes: Vec<u8>, kind: Kind, expected: &[&str]) {
    assert!(
        contains(&readable(&bytes), CANARY),
        "{name}: the fixture carries the canary"
    );
    let incoming = Incoming {
        name: Some(name.into()),
        bytes,
        truncated: false,
    };
    let file = prepare(incoming, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(file.kind, kind, "{name}");
    for what in expected {
        assert!(file.removed.contains(what), "{name}: {what} not in {:?}", file.removed);
    }
    assert!(
        !contains(&file.bytes, CANARY),
        "{name}: the canary is still in the bytes"
    );
    assert_eq!(
        crate::evidence::sniff(&file.bytes),
        Some(kind),
        "{name}: still its type"
    );
}

fn zip_of(entries: &[(&str, String)]) -> Vec<u8> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in entries {
        let method = if *name == "mimetype" {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        zip.start_file(*name, SimpleFileOptions::default().compression_method(method))
            .expect("entry");
        zip.write_all(text.as_bytes()).expect("written");
    }
    zip.finish().expect("zip").into_inner()
}

#[test]
fn a_workbook_and_an_odf_text_lose_their_properties() {
    let canary = "MinhbachCanary";
    let xlsx = zip_of(&[
        ("[Content_Types].xml", "<Types/>".into()),
        ("xl/workbook.xml", "<workbook/>".into()),
        (
            "docProps/core.xml",
            format!("<cp:coreProperties><dc:creator>{canary}</dc:creator></cp:coreProperties>"),
        ),
        (
            "docProps/app.xml",
            format!("<Properties><Company>{canary}</Company></Properties>"),
        ),
    ]);
    stripped("so-sach.xlsx", xlsx, Kind::Xlsx, &["core-properties", "app-properties"]);
    let odt = zip_of(&[
        ("mimetype", "application/vnd.oasis.opendocument.text".into()),
        ("content.xml", "<office:document-content/>".into()),
        ("meta.xml", format!("<office:document-meta><office:meta><meta:initial-creator>{canary}</meta:initial-creator></office:meta></office:document-meta>")),
        ("META-INF/manifest.xml", "<manifest:manifest/>".into()),
    ]);
    stripped("bien-ban.odt", odt, Kind::Odt, &["document-meta"]);
}

#[test]
fn a_wav_loses_its_info_tags() {
    fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = id.to_vec();
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(body);
        if body.len() % 2 == 1 {
            out.push(0);
        }
        out
    }
    // PCM, mono, 8 kHz, 16-bit; a quarter second of silence; a LIST INFO naming the artist.
    let mut format = Vec::new();
    for field in [1u16, 1] {
        format.extend_from_slice(&field.to_le_bytes());
    }
    format.extend_from_slice(&8000u32.to_le_bytes());
    format.extend_from_slice(&16000u32.to_le_bytes());
    format.extend_from_slice(&2u16.to_le_bytes());
    format.extend_from_slice(&16u16.to_le_bytes());
    let mut info = b"INFO".to_vec();
    info.extend(chunk(b"IART", b"MinhbachCanary Nguyen\0"));
    let mut wave = b"WAVE".to_vec();
    wave.extend(chunk(b"fmt ", &format));
    wave.extend(chunk(b"data", &[0u8; 4000]));
    wave.extend(chunk(b"LIST", &info));
    stripped("ghi-am.wav", chunk(b"RIFF", &wave), Kind::Wav, &["riff-info"]);
}

#[test]
fn a_webp_loses_its_exif_and_xmp() {
    use img_parts::riff::RiffContent;
    use img_parts::ImageEXIF;
    let pixels = image::RgbImage::from_fn(16, 12, |x, y| image::Rgb([(x * 16) as u8, (y * 20) as u8, 7]));
    let mut encoded = Cursor::new(Vec::new());
    pixels
        .write_to(&mut encoded, image::ImageFormat::WebP)
        .expect("encodes");
    let mut webp = WebP::from_bytes(encoded.into_inner().into()).expect("a WebP");
    let mut exif = b"MM\0\x2a\0\0\0\x08\0\0".to_vec();
    exif.extend_from_slice(CANARY);
    webp.set_exif(Some(exif.into()));
    let xmp = img_parts::riff::RiffChunk::new(
        *b"XMP ",
        RiffContent::Data(Bytes::from_static(b"<x:xmpmeta>MinhbachCanary</x:xmpmeta>")),
    );
    webp.chunks_mut().push(xmp);
    stripped(
        "anh.webp",
        webp.encoder().bytes().to_vec(),
        Kind::Webp,
        &["exif", "xmp"],
    );
}

/// An Ogg page (RFC 3533): header, lacing values for one packet, the packet; the CRC over the whole page.
fn ogg_page(flags: u8, granule: u64, sequence: u32, packet: &[u8]) -> Vec<u8> {
    let mut page = b"OggS\0".to_vec();
    page.push(flags);
    page.extend_from_slice(&granule.to_le_bytes());
    page.extend_from_slice(&0x4d42_u32.to_le_bytes());
    page.extend_from_slice(&sequence.to_le_bytes());
    page.extend_from_slice(&[0; 4]);
    let mut lacing = vec![255u8; packet.len() / 255];
    lacing.push((packet.len() % 255) as u8);
    page.push(lacing.len() as u8);
    page.extend(lacing);
    page.extend_from_slice(packet);
    // CRC-32 with polynomial 0x04c11db7, no reflection, initial value 0 (the Ogg checksum).
    let mut crc = 0u32;
    for byte in &page {
        crc ^= u32::from(*byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    page[22..26].copy_from_slice(&crc.to_le_bytes());
    page
}

/// A voice note as phones record it: Opus in Ogg, with an artist and a location in its comments.
#[test]
fn an_ogg_opus_voice_note_loses_its_comments() {
    let mut head = b"OpusHead".to_vec();
    head.extend_from_slice(&[1, 1]);
    head.extend_from_slice(&312u16.to_le_bytes());
    head.extend_from_slice(&48_000u32.to_le_bytes());
    head.extend_from_slice(&[0, 0, 0]);
    let mut tags = b"OpusTags".to_vec();
    let vendor = b"minhbach test";
    tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    tags.extend_from_slice(vendor);
    let comments = ["ARTIST=MinhbachCanary Nguyen", "LOCATION=10.88,106.59 MinhbachCanary"];
    tags.extend_from_slice(&(comments.len() as u32).to_le_bytes());
    for comment in comments {
        tags.extend_from_slice(&(comment.len() as u32).to_le_bytes());
        tags.extend_from_slice(comment.as_bytes());
    }
    let mut file = ogg_page(0x02, 0, 0, &head);
    file.extend(ogg_page(0, 0, 1, &tags));
    // One 20 ms frame of silence (TOC 0xF8: CELT, fullband, 20 ms, mono).
    file.extend(ogg_page(0x04, 960 + 312, 2, &[0xF8, 0xFF, 0xFE]));
    assert_eq!(crate::evidence::sniff(&file), Some(Kind::Ogg), "Ogg Opus is OGG");
    // The encoder's name (the comment header's vendor string) stays, and the user is told.
    let out = strip(Kind::Ogg, file.clone()).expect("strips");
    assert_eq!(out.kept, Some("encoder-name"));
    assert!(
        contains(&out.bytes, b"minhbach test"),
        "the vendor string is kept as it was"
    );
    stripped("ghi-am.ogg", file, Kind::Ogg, &["vorbis-comments"]);
}

/// Found by the fuzz target: what one strip leaves must give a second strip nothing to remove.
#[test]
fn a_stripped_file_has_nothing_left_to_strip() {
    let found = include_bytes!("regressions/pdf-info-survives.bin");
    let content = &found[1..];
    let kind = super::super::sniff(content).expect("a type");
    let once = strip(kind, content.to_vec()).expect("strips");
    let twice = strip(kind, once.bytes.clone()).expect("strips again");
    assert!(
        twice.removed.is_empty(),
        "{kind:?}: left after a first strip: {:?}",
        twice.removed
    );
}

/// An ISO base media file box: its size, its name, its body.
fn mp4_box(name: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(name);
    out.extend_from_slice(body);
    out
}

/// An M4A or MP4 file of brand `brand` whose iTunes-style tags (`moov.udta.meta.ilst`) name an artist and
/// carry a comment: the tags phones and editors write.
fn mp4_with_tags(brand: &[u8; 4]) -> Vec<u8> {
    let mut ftyp = brand.to_vec();
    ftyp.extend_from_slice(&[0, 0, 0, 0]);
    ftyp.extend_from_slice(brand);
    ftyp.extend_from_slice(b"isom");
    let text = |value: &str| {
        let mut data = vec![0, 0, 0, 1, 0, 0, 0, 0];
        data.extend_from_slice(value.as_bytes());
        mp4_box(b"data", &data)
    };
    let mut ilst = mp4_box(b"\xa9ART", &text("MinhbachCanary Nguyen"));
    ilst.extend(mp4_box(b"\xa9cmt", &text("Recorded at 10.88,106.59 MinhbachCanary")));
    let mut hdlr = vec![0; 8];
    hdlr.extend_from_slice(b"mdirappl");
    hdlr.extend_from_slice(&[0; 9]);
    let mut meta = vec![0; 4];
    meta.extend(mp4_box(b"hdlr", &hdlr));
    meta.extend(mp4_box(b"ilst", &ilst));
    let moov = mp4_box(b"moov", &mp4_box(b"udta", &mp4_box(b"meta", &meta)));
    let mut file = mp4_box(b"ftyp", &ftyp);
    file.extend(moov);
    file.extend(mp4_box(b"mdat", &[0; 64]));
    file
}

#[test]
fn an_m4a_and_an_mp4_lose_their_tags() {
    let m4a = mp4_with_tags(b"M4A ");
    assert_eq!(crate::evidence::sniff(&m4a), Some(Kind::M4a));
    stripped("ghi-am.m4a", m4a, Kind::M4a, &["mp4-tags"]);
    let mp4 = mp4_with_tags(b"isom");
    assert_eq!(crate::evidence::sniff(&mp4), Some(Kind::Mp4));
    let out = strip(Kind::Mp4, mp4.clone()).expect("strips");
    assert_eq!(
        out.kept,
        Some("video-atoms"),
        "a video is said to keep what its atoms may hold"
    );
    stripped("quay-phim.mp4", mp4, Kind::Mp4, &["mp4-tags"]);
}

/// Found by the `evidence_audio` fuzz target: an MP3 on which lofty lists an empty ID3v2 tag after the first
/// removal, and whose second removal takes the start of the sound with it. The stripper now removes until
/// nothing is listed, so such a file is refused as damaged instead of coming out unstable.
#[test]
fn an_mp3_whose_tags_do_not_go_is_refused_not_passed_on() {
    let found = include_bytes!("regressions/mp3-phantom-id3v2.bin");
    let kind = super::super::sniff(found).expect("a type");
    match strip(kind, found.to_vec()) {
        Err(error) => assert_eq!(error, FileError::Damaged),
        Ok(once) => {
            let twice = strip(kind, once.bytes.clone()).expect("a stripped file strips again");
            assert!(twice.removed.is_empty(), "{:?}", twice.removed);
        }
    }
}
