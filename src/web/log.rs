//! The request log: method, route path, status and latency. Never the client's address, user agent,
//! forwarding headers, query string or body — the query could hold a code someone pasted into a URL.

use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Response};

pub struct RequestLog;

#[rocket::async_trait]
impl Fairing for RequestLog {
    fn info(&self) -> Info {
        Info {
            name: "Request log",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _data: &mut Data<'_>) {
        req.local_cache(Instant::now);
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let started = req.local_cache(Instant::now);
        // The matched route's pattern, never the concrete path or query: an unmatched path could be anything
        // a person typed, a retrieval code included.
        let path = req
            .route()
            .map(|r| r.uri.path().to_string())
            .unwrap_or_else(|| "(no route)".to_owned());
        let status = res.status().code;
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        if status >= 500 {
            tracing::warn!(method = %req.method(), path, status, ms = format!("{millis:.1}"), "request");
        } else {
            tracing::info!(method = %req.method(), path, status, ms = format!("{millis:.1}"), "request");
        }
    }
}
