//! Row 15: a corpus of script-injection payloads through every text field a reporter, an inspector, an
//! officer or an admin types, each read back in every page that shows it: always escaped, never as typed.
//! The templates use no raw (`{{{…}}}`, `{{&…}}`) output, and Handlebars runs in strict mode.

use rocket::http::Status;
use serde_json::json;

use crate::helpers::{form, TestApp};

/// Payloads from the usual XSS cheat sheets (tags, attributes, URLs, encodings, template syntax), each
/// with at least one character HTML must escape.
const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//xss.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<a href=\"javascript:alert(1)\">bấm vào đây</a>",
    "\"><script>alert(1)</script>",
    "'><script>alert(1)</script>",
    "\" onmouseover=\"alert(1)",
    "' onfocus='alert(1)' autofocus='",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</option><script>alert(1)</script>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<object data=\"javascript:alert(1)\">",
    "<embed src=\"javascript:alert(1)\">",
    "<form action=\"https://evil.example\"><button>Gửi</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "<base href=\"https://evil.example/\">",
    "<link rel=stylesheet href=\"https://evil.example/x.css\">",
    "<style>body{display:none}</style>",
    "<div style=\"background:url(javascript:alert(1))\">",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<!--<img src=\"--><img src=x onerror=alert(1)//\">",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<script>alert(String.fromCharCode(88,83,83))</script>",
    "<img src=\"x\" onerror=\"&#97;&#108;&#101;&#114;&#116;(1)\">",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<img src=`x` onerror=`alert(1)`>",
    "<x onclick=alert(1)>nhấn</x>",
    "{{constructor.constructor('alert(1)')()}}",
    "{{{raw}}} {{&raw}} {{> layout}}",
    "${alert(1)} <%= 1 %> #{1}",
    "<?xml version=\"1.0\"?><x>",
    "<table background=\"javascript:alert(1)\">",
    "<isindex action=javascript:alert(1) type=image>",
    "<keygen autofocus onfocus=alert(1)>",
    "<select autofocus onfocus=alert(1)>",
    "<textarea autofocus onfocus=alert(1)>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "Ông A \"nhận\" <b>2 triệu</b> & 'bồi dưỡng' = hối lộ",
];

/// Every text field, with the pages that must show it back.
const FIELDS: &[(&str, &[&str])] = &[
    ("narrative", &["case", "status"]),
    ("accused", &["case"]),
    ("reporter message", &["case", "status"]),
    ("staff message", &["case", "status"]),
    ("transition reason", &["case"]),
    ("evidence", &["officer"]),
    ("decision reason", &["officer", "status"]),
    ("claim name", &["officer"]),
    ("claim payment details", &["officer"]),
    ("payment reference", &["officer"]),
    ("unit name", &["form", "admin", "case"]),
];

/// A field's value for one payload: tagged with the field and the payload's number, so that what is found
/// on a page is known to be that field's, of that payload (one payload escaped can read like another).
fn value(field: &str, i: usize, payload: &str) -> String {
    let tag: String = field.split(' ').map(|w| w[..1].to_uppercase()).collect();
    format!("[{tag}-{i}] {payload}")
}

/// HTML-escaped as the pages escape it (Handlebars' own function).
fn escaped(text: &str) -> String {
    rocket_dyn_templates::handlebars::html_escape(text)
}

#[rocket::async_test]
async fn every_payload_in_every_text_field_is_escaped_in_every_page() {
    assert!(PAYLOADS.len() >= 50);
    for payload in PAYLOADS {
        assert_ne!(
            escaped(payload),
            *payload,
            "{payload:?} has nothing to escape: the check could not fail"
        );
    }
    let app = TestApp::spawn().await;
    app.add_user("admin", "admin", None, None).await;
    app.add_user("lan.nguyen", "inspector", None, None).await;
    app.add_user("mai.tran", "officer", None, None).await;
    let (admin, admin_csrf) = app.sign_in_with_csrf("admin").await;
    let inspector = app.sign_in("lan.nguyen").await;
    let officer = app.sign_in("mai.tran").await;
    let (mut shown, mut raw, mut missing) = (0, Vec::new(), Vec::new());
    for (i, payload) in PAYLOADS.iter().enumerate() {
        let v = |field: &str| value(field, i, payload);
        // The admin adds a unit named with the payload; the report is about it.
        let unit = format!("xss-{i}");
        let (status, _, body) = app
            .post_page(
                "/admin/units",
                Some(&admin),
                form(&[
                    ("csrf", &admin_csrf),
                    ("id", &unit),
                    ("kind", "commune"),
                    ("name_vi", &v("unit name")),
                    ("name_en", &v("unit name")),
                    ("parent", "hoc-mon"),
                ]),
                &[],
            )
            .await;
        assert!(
            status == Status::Ok && body.contains("success-note"),
            "unit {i}: {status} {body}"
        );
        let (status, reply) = app
            .post_report(
                &json!({ "category": "bribe-taking", "unit": unit, "narrative": v("narrative"),
                "accused": v("accused") }),
            )
            .await;
        assert_eq!(status, Status::Created, "{payload}: {reply}");
        let code = reply["code"].as_str().expect("code").to_owned();
        let id = app.report_id(&code).await;
        assert_eq!(
            app.post_report_message(&code, &v("reporter message")).await.0,
            Status::Created
        );
        let (status, _) = app
            .post_case_message(&inspector, &id, &json!({ "body": v("staff message") }))
            .await;
        assert_eq!(status, Status::Created);
        for to in ["accepted", "investigating", "substantiated"] {
            let body = json!({ "to": to, "reason": v("transition reason") });
            assert_eq!(app.post_transition(&inspector, &id, &body).await.0, Status::Ok, "{to}");
        }
        let record = json!({ "recovered": 0, "form": "ministry_certificate", "evidence": v("evidence") });
        assert_eq!(app.post_proposal(&officer, &id, &record).await.0, Status::Ok);
        let decision = json!({ "form": "ministry_certificate", "amount": 50_000_000, "reason": v("decision reason") });
        assert_eq!(app.post_decision(&officer, &id, &decision).await.0, Status::Ok);
        let identity = json!({ "name": v("claim name"), "payment": v("claim payment details") });
        let (status, body) = app.post_claim(&code, json!({ "identity": identity })).await;
        assert_eq!(status, Status::Ok, "{body}");
        let payment = json!({ "amount": 50_000_000, "reference": v("payment reference") });
        assert_eq!(app.post_payment(&officer, &id, &payment).await.0, Status::Ok);

        // Every page that shows them.
        let mut pages = Vec::new();
        pages.push((
            "case",
            app.get_page(&format!("/inspector/cases/{id}"), &inspector).await.1,
        ));
        pages.push((
            "officer",
            app.get_page(&format!("/officer/commendations/{id}"), &officer).await.1,
        ));
        pages.push(("status", app.post_form("/report/status", &[("code", &code)]).await.1));
        pages.push(("form", app.get("/report").await.into_string().await.unwrap_or_default()));
        pages.push(("admin", app.get_page("/admin", &admin).await.1));
        pages.push(("queue", app.get_page("/inspector", &inspector).await.1));
        pages.push(("officer queue", app.get_page("/officer", &officer).await.1));
        for (name, page) in &pages {
            assert!(page.contains("</html>"), "{name} rendered: {page}");
            for (field, _) in FIELDS {
                if page.contains(&v(field)) {
                    raw.push(format!("{field} {payload:?} as typed on the {name} page"));
                }
            }
        }
        for (field, views) in FIELDS {
            for view in *views {
                let page = &pages.iter().find(|(n, _)| n == view).expect("page").1;
                if page.contains(&escaped(&v(field))) {
                    shown += 1;
                } else {
                    missing.push(format!("{field} not shown escaped on the {view} page ({payload:?})"));
                }
            }
        }
    }
    // The templates: no raw output anywhere.
    let mut raw_in_templates = Vec::new();
    for entry in walk(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates")) {
        let text = std::fs::read_to_string(&entry).expect("template");
        if text.contains("{{{") || text.contains("{{&") {
            raw_in_templates.push(entry.display().to_string());
        }
    }
    let checks: usize = FIELDS.iter().map(|(_, views)| views.len()).sum();
    println!(
        "row 15: {} payloads × {} fields, {} (field, page) readings: {shown} shown escaped, {} missing, {} as \
         typed; templates with raw output: {}; strict mode on",
        PAYLOADS.len(),
        FIELDS.len(),
        PAYLOADS.len() * checks,
        missing.len(),
        raw.len(),
        raw_in_templates.len()
    );
    assert!(raw.is_empty(), "{raw:#?}");
    assert!(missing.is_empty(), "{missing:#?}");
    assert!(raw_in_templates.is_empty(), "{raw_in_templates:?}");
    assert_eq!(shown, PAYLOADS.len() * checks);
}

/// Strict mode: the app's own template setup (`register_helpers`) turns it on, so a template naming a value
/// the page does not pass is an error, not an empty string.
#[rocket::async_test]
async fn handlebars_runs_in_strict_mode() {
    use std::sync::atomic::{AtomicU8, Ordering};
    static STRICT: AtomicU8 = AtomicU8::new(0);
    let figment = rocket::Config::figment().merge(("template_dir", concat!(env!("CARGO_MANIFEST_DIR"), "/templates")));
    let rocket = rocket::custom(figment).attach(rocket_dyn_templates::Template::custom(|engines| {
        let before = engines.handlebars.strict_mode();
        minhbach::web::i18n::register_helpers(engines);
        STRICT.store(
            1 + u8::from(!before && engines.handlebars.strict_mode()),
            Ordering::SeqCst,
        );
    }));
    let _client = rocket::local::asynchronous::Client::untracked(rocket)
        .await
        .expect("ignites");
    assert_eq!(
        STRICT.load(Ordering::SeqCst),
        2,
        "off by default, on after the app's setup"
    );
}

fn walk(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("templates dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(path));
        } else {
            out.push(path);
        }
    }
    out
}
