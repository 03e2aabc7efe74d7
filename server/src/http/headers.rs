//! Headers every answer carries (the content security policy with its `frame-ancestors`
//! allowlist, `X-Frame-Options` for old browsers), CORS for the configured portal origins,
//! and `ETag` / `If-None-Match` so polling portals get 304s.

use axum::body::Body;
use axum::body::HttpBody as _;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::state::AppState;

/// Bodies larger than this are not hashed for an ETag (they are streamed through).
const ETAG_MAX: u64 = 16 << 20;

/// The security headers: CSP on every answer, `X-Frame-Options: SAMEORIGIN` when no other
/// origin may frame the console (old browsers cannot express an allowlist).
pub async fn security(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&st.embed.csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    if st.embed.cfg.frame_ancestors.is_empty() {
        h.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
    }
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    resp
}

/// A weak validator for a body: the representation may be compressed on the way out.
pub fn etag_of(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let hex: String = d[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("W/\"{hex}\"")
}

/// Whether an `If-None-Match` value names `tag` (or is `*`).
pub fn matches(if_none_match: &str, tag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if_none_match.trim() == "*" || if_none_match.split(',').any(|t| bare(t) == bare(tag))
}

/// `ETag` on successful GET answers whose body is complete in memory (not event streams or
/// exports), and 304 when the client already has it.
pub async fn etag(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let polled = ["/api/v1/", "/embed/", "/badge/"]
        .iter()
        .any(|p| path.starts_with(p));
    // Not HEAD: its body is dropped before this sees it, so its tag would not be GET's.
    if !polled || req.method() != Method::GET {
        return next.run(req).await;
    }
    let inm = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let resp = next.run(req).await;
    let streaming = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/event-stream"));
    if resp.status() != StatusCode::OK || streaming || resp.headers().contains_key(header::ETAG) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    match body.size_hint().exact() {
        Some(n) if n <= ETAG_MAX => {}
        _ => return Response::from_parts(parts, body),
    }
    let bytes = match axum::body::to_bytes(body, ETAG_MAX as usize).await {
        Ok(b) => b,
        Err(e) => {
            return super::ApiError::Internal(anyhow::anyhow!("reading an answer: {e}"))
                .into_response()
        }
    };
    let tag = etag_of(&bytes);
    if let Ok(v) = HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, v);
    }
    if !parts.headers.contains_key(header::CACHE_CONTROL) {
        // Keep it, but ask again each time (a 304 costs no body).
        parts
            .headers
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    if inm.is_some_and(|v| matches(&v, &tag)) {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::CONTENT_TYPE);
        // The compression layer skips an empty body; the validator still depends on it.
        parts
            .headers
            .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// CORS for `server.cors_origins` (none: no CORS headers, same-origin only).
pub fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let list = origins.to_vec();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(move |o: &HeaderValue, _| {
                o.to_str()
                    .is_ok_and(|o| crate::embed::origin_allowed(&list, o))
            }))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_NONE_MATCH,
                header::HeaderName::from_static(super::auth::CSRF_HEADER),
            ])
            .expose_headers([header::ETAG])
            .allow_credentials(true)
            .max_age(std::time::Duration::from_secs(600)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators_match_weak_strong_lists_and_star() {
        let t = etag_of(b"{\"a\":1}");
        assert!(t.starts_with("W/\"") && t.len() == 28, "{t}");
        assert_ne!(t, etag_of(b"{\"a\":2}"));
        assert!(matches(&t, &t));
        assert!(matches(
            &format!("\"x\", {}", t.trim_start_matches("W/")),
            &t
        ));
        assert!(matches("*", &t));
        assert!(!matches("\"other\"", &t));
    }
}
