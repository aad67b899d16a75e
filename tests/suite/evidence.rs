//! Evidence files (issue 12): fixtures made here with identifying metadata, uploaded as a reporter's browser
//! sends them, downloaded as an inspector does, and read before and after by an independent reader
//! (`exiftool`); the refusals of row 19; a tampered or truncated file never served as whole.

use std::io::{Cursor, Write};
use std::path::Path;
use std::process::Command;

use rocket::http::Status;
use serde_json::{json, Value};

use crate::ci;
use crate::helpers::{Part, TestApp};

/// What identifying metadata carries in every fixture: a name, a place, a device.
const CANARY: &str = "MinhbachCanary";

// ---- Fixtures, made here ------------------------------------------------------------------------------

fn picture(format: image::ImageFormat) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 128]));
    let mut bytes = Cursor::new(Vec::new());
    pixels.write_to(&mut bytes, format).expect("encodes");
    bytes.into_inner()
}

/// Writes tags into a file with exiftool (the reader the test trusts, as a writer here).
fn exiftool_write(dir: &Path, name: &str, bytes: &[u8], tags: &[&str]) -> Vec<u8> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("fixture written");
    let output = Command::new("exiftool")
        .args(["-q", "-overwrite_original"])
        .args(tags)
        .arg(&path)
        .output()
        .expect("exiftool runs");
    assert!(
        output.status.success(),
        "exiftool wrote {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read(&path).expect("fixture read")
}

fn jpeg(dir: &Path) -> Vec<u8> {
    let gps = [
        "-GPSLatitude=10.8876",
        "-GPSLatitudeRef=N",
        "-GPSLongitude=106.5925",
        "-GPSLongitudeRef=E",
        "-GPSAltitude=12",
    ];
    let device = [
        "-Make=MinhbachCanary Phones",
        "-Model=MinhbachCanary X1",
        "-SerialNumber=MinhbachCanary-0042",
        "-Artist=MinhbachCanary Nguyen",
        "-Copyright=MinhbachCanary",
        "-Software=MinhbachCanary Camera 1.0",
        "-DateTimeOriginal=2026:11:30 08:15:00",
        "-OwnerName=MinhbachCanary",
    ];
    let other = [
        "-XMP-dc:Creator=MinhbachCanary",
        "-XMP-dc:Description=MinhbachCanary",
        "-IPTC:By-line=MinhbachCanary",
        "-IPTC:City=MinhbachCanary",
        "-Comment=MinhbachCanary",
    ];
    let tags: Vec<&str> = gps.iter().chain(&device).chain(&other).copied().collect();
    exiftool_write(dir, "photo.jpg", &picture(image::ImageFormat::Jpeg), &tags)
}

fn png(dir: &Path) -> Vec<u8> {
    let tags = [
        "-PNG:Author=MinhbachCanary",
        "-PNG:Comment=MinhbachCanary",
        "-PNG:CreationTime=2026:11:30 08:15:00",
        "-EXIF:Make=MinhbachCanary",
        "-EXIF:GPSLatitude=10.8876",
        "-EXIF:GPSLatitudeRef=N",
        "-XMP-dc:Creator=MinhbachCanary",
    ];
    exiftool_write(dir, "screen.png", &picture(image::ImageFormat::Png), &tags)
}

const XMP: &str = r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"><dc:creator><rdf:Seq><rdf:li>MinhbachCanary</rdf:li></rdf:Seq></dc:creator><pdf:Producer>MinhbachCanary PDF</pdf:Producer></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#;

/// A one-page PDF with Author/Creator/Producer in its information dictionary and an XMP stream, then an
/// incremental update by exiftool on top (an earlier revision must not survive either).
fn pdf(dir: &Path) -> Vec<u8> {
    use lopdf::{dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.5");
    let pages = doc.new_object_id();
    let font = doc.add_object(dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" });
    let content = doc.add_object(Stream::new(
        dictionary! {},
        b"BT /F1 18 Tf 72 720 Td (Bien ban) Tj ET".to_vec(),
    ));
    let page = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages,
        "Contents" => content,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }),
    );
    let xmp = doc.add_object(Stream::new(
        dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
        XMP.as_bytes().to_vec(),
    ));
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages, "Metadata" => xmp });
    let info = doc.add_object(dictionary! {
        "Author" => Object::string_literal("MinhbachCanary Nguyen"),
        "Creator" => Object::string_literal("MinhbachCanary Writer"),
        "Producer" => Object::string_literal("MinhbachCanary PDF"),
        "Title" => Object::string_literal("MinhbachCanary minutes"),
        "CreationDate" => Object::string_literal("D:20261130081500+07'00'"),
    });
    doc.trailer.set("Root", catalog);
    doc.trailer.set("Info", info);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("PDF written");
    exiftool_write(
        dir,
        "minutes.pdf",
        &bytes,
        &["-PDF:Subject=MinhbachCanary", "-PDF:Keywords=MinhbachCanary"],
    )
}

/// A Word document whose core properties name its author and last editor, and whose app properties name
/// the company.
fn docx() -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let parts: [(&str, String); 5] = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>"#.into(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>"#.into(),
        ),
        (
            "word/document.xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Biên bản họp</w:t></w:r></w:p></w:body></w:document>"#.into(),
        ),
        (
            "docProps/core.xml",
            format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>{CANARY} Nguyen</dc:creator><cp:lastModifiedBy>{CANARY} Tran</cp:lastModifiedBy><dc:title>{CANARY} minutes</dc:title><dcterms:created xsi:type="dcterms:W3CDTF">2026-11-30T08:15:00Z</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">2026-11-30T09:00:00Z</dcterms:modified></cp:coreProperties>"#),
        ),
        (
            "docProps/app.xml",
            format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Microsoft Office Word</Application><Company>{CANARY} Company</Company><Manager>{CANARY} Boss</Manager><Template>Normal.dotm</Template></Properties>"#),
        ),
    ];
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in parts {
        zip.start_file(name, SimpleFileOptions::default()).expect("entry");
        zip.write_all(text.as_bytes()).expect("written");
    }
    zip.set_comment(format!("{CANARY} archive")).expect("comment");
    zip.finish().expect("zip").into_inner()
}

/// MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz: 417 bytes each) under ID3v2 and ID3v1 tags.
fn mp3() -> Vec<u8> {
    use lofty::config::WriteOptions;
    use lofty::id3::v1::Id3v1Tag;
    use lofty::id3::v2::Id3v2Tag;
    use lofty::tag::{Accessor, TagExt};
    let mut frames = Vec::new();
    for _ in 0..40 {
        frames.extend_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
        frames.extend(std::iter::repeat_n(0u8, 413));
    }
    let mut file = Cursor::new(frames);
    let mut v2 = Id3v2Tag::default();
    v2.set_artist(format!("{CANARY} Nguyen"));
    v2.set_title(format!("{CANARY} recording"));
    v2.set_album(format!("{CANARY} album"));
    v2.set_comment(format!("{CANARY} recorded at the office"));
    v2.save_to(&mut file, WriteOptions::default()).expect("ID3v2 written");
    file.set_position(0);
    let mut v1 = Id3v1Tag::default();
    v1.set_artist(CANARY.into());
    v1.set_title(CANARY.into());
    v1.save_to(&mut file, WriteOptions::default()).expect("ID3v1 written");
    file.into_inner()
}

// ---- The independent reader ---------------------------------------------------------------------------

fn exiftool_available() -> bool {
    Command::new("exiftool")
        .arg("-ver")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The tags exiftool reads in a file, by `Group:Name`.
fn tags_of(dir: &Path, name: &str, bytes: &[u8]) -> serde_json::Map<String, Value> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("written for exiftool");
    let output = Command::new("exiftool")
        .args(["-j", "-G1", "-a", "-u"])
        .arg(&path)
        .output()
        .expect("exiftool runs");
    let all: Value = serde_json::from_slice(&output.stdout).expect("exiftool's JSON");
    all[0].as_object().cloned().unwrap_or_default()
}

/// Names of the tags that identify: location, device, people, organisations, times of making, free text;
/// and any tag whose value carries the canary.
const IDENTIFYING: [&str; 26] = [
    "GPSLatitude",
    "GPSLongitude",
    "GPSAltitude",
    "GPSPosition",
    "Make",
    "Model",
    "SerialNumber",
    "Artist",
    "Author",
    "Creator",
    "Producer",
    "Copyright",
    "OwnerName",
    "LastModifiedBy",
    "Company",
    "Manager",
    "Software",
    "DateTimeOriginal",
    "CreateDate",
    "CreationTime",
    "Comment",
    "Title",
    "Subject",
    "Keywords",
    "Description",
    "By-line",
];

fn identifying(tags: &serde_json::Map<String, Value>) -> Vec<String> {
    tags.iter()
        .filter(|(key, value)| {
            let (group, name) = key.split_once(':').unwrap_or(("", key));
            if matches!(group, "System" | "File" | "ExifTool" | "ZIP") || key.as_str() == "SourceFile" {
                return false;
            }
            IDENTIFYING.contains(&name) || value.to_string().contains(CANARY)
        })
        .map(|(key, _)| key.clone())
        .collect()
}

// ---- Tests --------------------------------------------------------------------------------------------

async fn inspector_case(app: &TestApp, code: &str) -> (crate::helpers::Session, String, Value) {
    let id = app.report_id(code).await;
    let session = app.sign_in("inspector").await;
    let (status, case) = app.get_case(&session, &id).await;
    assert_eq!(status, Status::Ok, "{case}");
    (session, id, case)
}

fn report_json() -> String {
    json!({ "category": "bribe-taking", "unit": "ba-diem", "narrative": "Cán bộ nhận tiền; ảnh biên lai đính kèm." })
        .to_string()
}

#[rocket::async_test]
async fn identifying_metadata_is_gone_after_upload_and_download_as_exiftool_reads_it() {
    if !exiftool_available() {
        return ci::skip("exiftool is not installed (Debian: libimage-exiftool-perl)");
    }
    let app = TestApp::spawn().await;
    app.add_user("inspector", "inspector", None, None).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let fixtures: Vec<(&str, Vec<u8>)> = vec![
        ("biên lai.jpg", jpeg(dir.path())),
        ("screen.png", png(dir.path())),
        ("minutes.pdf", pdf(dir.path())),
        ("minutes.docx", docx()),
        ("recording.mp3", mp3()),
    ];
    // `MINHBACH_FIXTURES_DIR=DIR` keeps a copy of the fixtures (the fuzz seeds came from there).
    if let Ok(keep) = std::env::var("MINHBACH_FIXTURES_DIR") {
        for (name, bytes) in &fixtures {
            std::fs::write(Path::new(&keep).join(name), bytes).expect("fixture kept");
        }
    }
    let report = report_json();
    let mut parts = vec![Part::Text("report", &report)];
    parts.extend(fixtures.iter().map(|(name, bytes)| Part::File("file", name, bytes)));
    let (status, text) = app.post_multipart("/api/v1/reports", &parts).await;
    assert_eq!(status, Status::Created, "{text}");
    let submitted: Value = serde_json::from_str(&text).expect("JSON");
    let code = submitted["code"].as_str().expect("a code");
    let (session, id, case) = inspector_case(&app, code).await;
    let attachments = case["attachments"].as_array().expect("attachments listed").clone();
    assert_eq!(attachments.len(), fixtures.len(), "{case}");

    println!(
        "fixture × identifying tags (exiftool {}): before → after",
        exiftool_version()
    );
    let mut before_total = 0;
    let mut after_total = 0;
    for (name, original) in &fixtures {
        // Matched by name (the safe name of what was sent), not by position, so a mix-up cannot pass.
        let wanted = minhbach::evidence::safe_name(Some(name), minhbach::evidence::sniff(original).expect("typed"));
        let listed = attachments
            .iter()
            .find(|a| a["name"] == wanted.as_str())
            .expect("listed by its name");
        let path = format!("/api/v1/cases/{id}/attachments/{}", listed["id"].as_str().expect("id"));
        let (status, _, downloaded) = app.staff_download(&path, &session, &[]).await;
        assert_eq!(status, Status::Ok, "{name}");
        let extension = listed["name"]
            .as_str()
            .expect("name")
            .rsplit('.')
            .next()
            .unwrap_or("bin")
            .to_owned();
        let before = identifying(&tags_of(dir.path(), &format!("before.{extension}"), original));
        let after_tags = tags_of(dir.path(), &format!("after.{extension}"), &downloaded);
        let after = identifying(&after_tags);
        println!(
            "  {name:<14} {:>2} → {} (removed: {})",
            before.len(),
            after.len(),
            listed["removed"]
        );
        assert!(
            before.len() >= 3,
            "{name}: the fixture must carry identifying tags: {before:?}"
        );
        assert!(after.is_empty(), "{name}: left after stripping: {after:?}");
        // Still a file exiftool reads as its kind: no error or warning, and the kind's own structure.
        assert!(
            !after_tags
                .keys()
                .any(|k| k == "ExifTool:Error" || k == "ExifTool:Warning"),
            "{name}: exiftool complains: {after_tags:?}"
        );
        let structure = ["ImageWidth", "PageCount", "ZipFileName", "AudioBitrate"];
        assert!(
            after_tags
                .keys()
                .any(|k| structure.iter().any(|s| k.ends_with(&format!(":{s}")))),
            "{name}: still a readable file: {after_tags:?}"
        );
        before_total += before.len();
        after_total += after.len();
    }
    println!("  total          {before_total} → {after_total}");
    assert_eq!(after_total, 0);
}

fn exiftool_version() -> String {
    Command::new("exiftool")
        .arg("-ver")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// A zip whose one entry expands from about 100 KB to 200 MiB of zeros, dressed as a Word document.
fn docx_bomb() -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("[Content_Types].xml", SimpleFileOptions::default())
        .expect("entry");
    zip.write_all(
        br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#,
    )
    .expect("written");
    zip.start_file("word/document.xml", SimpleFileOptions::default().large_file(true))
        .expect("entry");
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..200 {
        zip.write_all(&zeros).expect("written");
    }
    zip.finish().expect("zip").into_inner()
}

#[rocket::async_test]
async fn row_19_every_bad_upload_is_refused_or_sanitised_with_a_clear_message() {
    let app = TestApp::spawn().await;
    let report = report_json();
    let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0".repeat(20);
    let big = vec![b'a'; (20 << 20) + 1];
    let bomb = docx_bomb();
    let text = "Biên bản đối chất.\n".as_bytes().repeat(10);
    let many: Vec<Part<'_>> = (0..11).map(|_| Part::File("file", "note.txt", &text)).collect();
    let refusals: [(&str, Vec<Part<'_>>, &str); 5] = [
        (
            "an executable named .jpg",
            vec![Part::File("file", "biên lai.jpg", &elf)],
            "not-allowed",
        ),
        (
            "a file over 20 MiB",
            vec![Part::File("file", "big.txt", &big)],
            "too-large",
        ),
        ("a DOCX zip bomb", vec![Part::File("file", "bomb.docx", &bomb)], "bomb"),
        ("an empty file", vec![Part::File("file", "empty.pdf", b"")], "empty"),
        ("11 files", many, "too-many"),
    ];
    let mut refused = 0;
    for (what, files, expected) in &refusals {
        let mut parts = vec![Part::Text("report", &report)];
        parts.extend(files.iter().copied());
        let (status, body) = app.post_multipart("/api/v1/reports", &parts).await;
        let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let file = &body["error"]["files"][0];
        println!("  {what:<26} → {status}, {}: {}", file["code"], file["message"]);
        assert_eq!(status, Status::UnprocessableEntity, "{what}: {body}");
        assert_eq!(file["code"], *expected, "{what}: {body}");
        assert!(
            file["message"].as_str().is_some_and(|m| m.len() > 10),
            "{what}: a message in words"
        );
        refused += 1;
    }
    assert_eq!(app.count("reports").await, 0, "nothing was stored for a refused upload");
    assert_eq!(app.count("attachments").await, 0);

    // A traversal or bidirectional-override name is sanitised, and the content's type decides. Browsers send
    // a name's CR, LF and quote percent-encoded (HTML's multipart rules), other controls as they are: the
    // multipart parser refuses a header with a control character (400, with a message) before any of it is
    // read, which is a refusal too, never a 500.
    let names = [
        "../../etc/passwd",
        "..\\..\\win.ini",
        "a\u{202e}gpj.exe",
        "report%0D%0A.txt",
        "tab\there\u{7}.txt",
    ];
    let mut sanitised = 0;
    for name in names {
        let parts = [Part::Text("report", &report), Part::File("file", name, &text)];
        let (status, body) = app.post_multipart("/api/v1/reports", &parts).await;
        let body: Value = serde_json::from_str(&body).expect("JSON");
        if status == Status::BadRequest {
            let message = body["error"]["message"].as_str().unwrap_or_default();
            println!("  {name:?} → {status}: {message}");
            assert!(message.contains("multipart/form-data"), "{name:?}: {body}");
            refused += 1;
            continue;
        }
        assert_eq!(status, Status::Created, "{name:?}: {body}");
        let stored = body["attachments"][0]["name"].as_str().expect("a name").to_owned();
        println!("  {name:?} → {stored:?}");
        assert!(
            !stored.contains(['/', '\\', '\r', '\n', '\t', '\u{7}', '\u{202e}'])
                && !stored.starts_with('.')
                && stored.ends_with(".txt"),
            "{name:?} → {stored:?}"
        );
        sanitised += 1;
    }
    let total = refusals.len() + names.len();
    println!(
        "row 19: {refused} refused + {sanitised} sanitised of {total} bad uploads: {}%",
        100 * (refused + sanitised) / total
    );
    assert_eq!(refused + sanitised, total);
}

#[rocket::async_test]
async fn a_tampered_or_truncated_file_is_never_served_as_whole() {
    let app = TestApp::spawn().await;
    app.add_user("inspector", "inspector", None, None).await;
    let report = report_json();
    let content: Vec<u8> = "Sổ sách thu chi của xã, trang ".bytes().cycle().take(300_000).collect();
    let parts = [
        Part::Text("report", &report),
        Part::File("file", "so-sach.txt", &content),
    ];
    let (status, body) = app.post_multipart("/api/v1/reports", &parts).await;
    assert_eq!(status, Status::Created, "{body}");
    let code = serde_json::from_str::<Value>(&body).expect("JSON")["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let (session, id, case) = inspector_case(&app, &code).await;
    let attachment = case["attachments"][0]["id"].as_str().expect("an attachment").to_owned();
    let path = format!("/api/v1/cases/{id}/attachments/{attachment}");
    let headers = [
        "Content-Disposition",
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "Content-Type",
    ];

    // The positive control: untouched, it downloads whole, as an attachment, sandboxed.
    let (status, got, bytes) = app.staff_download(&path, &session, &headers).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(bytes, content, "the file comes back as it was sent");
    let got: Vec<String> = got.into_iter().map(Option::unwrap_or_default).collect();
    assert!(got[0].starts_with("attachment; filename=\"so-sach.txt\""), "{got:?}");
    assert!(got[1].starts_with("sandbox"), "{got:?}");
    assert_eq!(got[2], "nosniff");
    let downloads = |app: &TestApp| {
        let pool = app.db().pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM ledger WHERE kind = 'attachment_downloaded'")
                .fetch_one(&pool)
                .await
                .expect("count")
        }
    };
    assert_eq!(downloads(&app).await, 1, "the download is a ledger entry");

    let pool = app.db().pool().clone();
    let chunks: i64 = sqlx::query_scalar("SELECT chunks FROM attachments WHERE id = $1")
        .bind(&attachment)
        .fetch_one(&pool)
        .await
        .expect("chunks");
    assert!(chunks >= 5, "{chunks} chunks");
    // One bit flipped in the middle chunk.
    let middle: Vec<u8> = sqlx::query_scalar("SELECT data FROM attachment_chunks WHERE attachment_id = $1 AND seq = 2")
        .bind(&attachment)
        .fetch_one(&pool)
        .await
        .expect("chunk");
    let mut flipped = middle.clone();
    flipped[100] ^= 0x01;
    let set = |data: Vec<u8>| {
        let (pool, attachment) = (pool.clone(), attachment.clone());
        async move {
            sqlx::query("UPDATE attachment_chunks SET data = $1 WHERE attachment_id = $2 AND seq = 2")
                .bind(data)
                .bind(attachment)
                .execute(&pool)
                .await
                .expect("updated");
        }
    };
    set(flipped).await;
    let (status, _, bytes) = app.staff_download(&path, &session, &[]).await;
    println!(
        "a flipped bit in chunk 2 of {chunks}: {status}, {} bytes served",
        bytes.len()
    );
    assert_eq!(status, Status::InternalServerError);
    assert!(
        !bytes.windows(20).any(|w| w == &content[..20]),
        "nothing of the file is served"
    );
    set(middle).await;
    // The last chunk gone: the file cut short.
    sqlx::query("DELETE FROM attachment_chunks WHERE attachment_id = $1 AND seq = $2")
        .bind(&attachment)
        .bind(chunks - 1)
        .execute(&pool)
        .await
        .expect("deleted");
    let (status, _, bytes) = app.staff_download(&path, &session, &[]).await;
    println!("the last chunk deleted: {status}, {} bytes served", bytes.len());
    assert_eq!(status, Status::InternalServerError);
    assert_eq!(downloads(&app).await, 1, "a refused download is not recorded as one");
}

#[rocket::async_test]
async fn the_reporter_s_form_takes_files_and_the_confirmation_says_what_was_removed() {
    if !exiftool_available() {
        return ci::skip("exiftool is not installed (Debian: libimage-exiftool-perl)");
    }
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let photo = jpeg(dir.path());
    let parts = [
        Part::Text("category", "bribe-taking"),
        Part::Text("unit", "ba-diem"),
        Part::Text("narrative", "Cán bộ nhận tiền; ảnh đính kèm."),
        Part::File("file", "IMG_2041.jpg", &photo),
        // An empty file field, as a browser sends a second input left empty.
        Part::File("file", "", b""),
    ];
    let (status, page) = app.post_multipart("/report?lang=en", &parts).await;
    assert_eq!(status, Status::Created, "{page}");
    assert!(page.contains("IMG_2041.jpg"), "the file is listed on the confirmation");
    assert!(
        page.contains("EXIF (location, camera, times)"),
        "what was removed is said"
    );
    assert_eq!(app.count("attachments").await, 1, "the empty field is no file");

    // A refused file brings the form back with what was typed and the reason, and stores nothing.
    let parts = [
        Part::Text("category", "bribe-taking"),
        Part::Text("unit", "ba-diem"),
        Part::Text("narrative", "Nội dung giữ lại khi tệp bị từ chối."),
        Part::File("file", "virus.pdf", b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"),
    ];
    let (status, page) = app.post_multipart("/report", &parts).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        page.contains("Nội dung giữ lại khi tệp bị từ chối."),
        "the text is kept"
    );
    assert!(
        page.contains("virus.pdf") && page.contains("Loại tệp này không được chấp nhận"),
        "{page}"
    );
    assert_eq!(app.count("reports").await, 1);
}

#[rocket::async_test]
async fn another_site_cannot_post_files_through_a_visitors_browser() {
    let app = TestApp::spawn().await;
    let report = report_json();
    let text = "Tệp giả mạo từ trang khác.".as_bytes();
    let body = crate::helpers::multipart(&[
        Part::Text("category", "bribe-taking"),
        Part::Text("unit", "ba-diem"),
        Part::Text("narrative", "Một trang khác gửi tin báo này."),
        Part::Text("report", &report),
        Part::File("file", "note.txt", text),
    ]);
    // A form of another site may post multipart/form-data; each way a browser marks it is refused.
    let marks: [(&str, &str); 3] = [
        ("Origin", "https://evil.example"),
        ("Origin", "null"),
        ("Sec-Fetch-Site", "cross-site"),
    ];
    let mut refused = 0;
    for path in ["/report", "/api/v1/reports"] {
        for (name, value) in marks {
            let response = app
                .client
                .post(path)
                .header(crate::helpers::multipart_type())
                .header(rocket::http::Header::new(name, value))
                .body(&body)
                .dispatch()
                .await;
            assert_eq!(response.status(), Status::Forbidden, "{path} with {name}: {value}");
            refused += 1;
        }
        // The control: the same post from the site itself is taken.
        let response = app
            .client
            .post(path)
            .header(crate::helpers::multipart_type())
            .header(rocket::http::Header::new("Sec-Fetch-Site", "same-origin"))
            .body(&body)
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Created, "{path} from the site itself");
    }
    println!("{refused} cross-site multipart posts refused; 2 controls taken");
    assert_eq!(app.count("reports").await, 2, "only the two controls were stored");
    assert_eq!(app.count("attachments").await, 2);
}

#[rocket::async_test]
async fn a_reply_from_the_status_page_carries_a_file_and_the_page_lists_it() {
    let app = TestApp::spawn().await;
    let code = app.submit("Cán bộ xã thu tiền ngoài quy định khi cấp phép.").await;
    let (status, page) = app.post_form("/report/status?lang=en", &[("code", &code)]).await;
    assert_eq!(status, Status::Ok);
    let token = crate::helpers::token_on(&page);
    let note = "Biên bản thu tiền, bản chụp.".as_bytes();
    let parts = [
        Part::Text("token", &token),
        Part::Text("body", "Tôi gửi thêm biên bản."),
        Part::File("file", "bien-ban.txt", note),
    ];
    let (status, page) = app.post_multipart("/report/messages?lang=en", &parts).await;
    assert_eq!(status, Status::Created, "{page}");
    assert!(page.contains("bien-ban.txt"), "the status page lists the file sent");
    let with_message: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE message_id IS NOT NULL")
        .fetch_one(app.db().pool())
        .await
        .expect("count");
    assert_eq!(with_message, 1, "the file is stored with the reply");

    // A refused file keeps what was typed and stores neither the message nor the file.
    let parts = [
        Part::Text("token", &token),
        Part::Text("body", "Tin nhắn giữ lại khi tệp bị từ chối."),
        Part::File("file", "x.pdf", b""),
    ];
    let (status, page) = app.post_multipart("/report/messages?lang=en", &parts).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        page.contains("Tin nhắn giữ lại khi tệp bị từ chối."),
        "the text is kept"
    );
    assert!(page.contains("The file is empty."), "the refusal is said: {page}");
    assert_eq!(app.count("messages").await, 1);
    assert_eq!(app.count("attachments").await, 1);
}
