//! The web UI: the built front end served from a directory found relative to the executable
//! (never the working directory), with `index.html` answered for every UI route so deep links
//! work, and the base path written into it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::services::ServeDir;

/// The built front end: where it is and the `index.html` to answer UI routes with.
#[derive(Clone)]
pub struct WebAssets {
    pub dir: PathBuf,
    pub index_html: Arc<String>,
}

impl WebAssets {
    /// Load `index.html` from `dir` and write the base path into it.
    pub fn load(dir: &Path, base_path: &str) -> std::io::Result<WebAssets> {
        let template = std::fs::read_to_string(dir.join("index.html"))?;
        let base_href = if base_path == "/" {
            "/".to_string()
        } else {
            format!("{base_path}/")
        };
        let base_meta = if base_path == "/" { "" } else { base_path };
        let html = template
            .replace("%BASE_HREF%", &base_href)
            .replace("%BASE_PATH%", base_meta);
        Ok(WebAssets {
            dir: dir.to_path_buf(),
            index_html: Arc::new(html),
        })
    }
}

/// Where the built UI is: the configured directory, else `web/` next to the executable (or
/// one level up, for test binaries under `target/*/deps`).
pub fn find_web_dir(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = configured {
        return Some(dir.to_path_buf());
    }
    let exe = std::env::current_exe().ok()?;
    let exe_dir = exe.parent()?;
    [exe_dir.join("web"), exe_dir.join("../web")]
        .into_iter()
        .find(|d| d.join("index.html").is_file())
}

/// Routes for the UI: static files, and `index.html` for anything else.
pub fn router<S: Clone + Send + Sync + 'static>(web: Option<WebAssets>) -> Router<S> {
    match web {
        Some(web) => {
            let index = web.index_html.clone();
            let index_for_root = index.clone();
            let serve = ServeDir::new(&web.dir)
                .precompressed_br()
                .precompressed_gzip()
                .append_index_html_on_directories(false)
                .fallback(get(move || {
                    let html = index.clone();
                    async move { no_store(Html(html.as_str().to_string()).into_response()) }
                }));
            Router::new()
                .route(
                    "/",
                    get(move || {
                        let html = index_for_root.clone();
                        async move { no_store(Html(html.as_str().to_string()).into_response()) }
                    }),
                )
                .fallback_service(serve)
                .layer(axum::middleware::map_response(cache_policy))
        }
        None => Router::new().fallback(get(|| async {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Html(
                    "<!doctype html><title>Kafscope</title><h1>Kafscope</h1>\
                     <p>The web UI is not built. Run <code>scripts/build-web.sh</code> \
                     (the README's run command does it), or use the JSON API under \
                     <code>/api/v1</code>.</p>",
                ),
            )
        })),
    }
}

/// Cache policy of the UI's files: a name that carries its content hash (scripts/build-web.sh
/// gives one to every file but `index.html`) never changes, so browsers and proxies keep it
/// for a year without asking; anything else is revalidated. The answer depends on
/// `Accept-Encoding` (precompressed `.br` and `.gz` files).
async fn cache_policy(uri: axum::http::Uri, mut r: Response) -> Response {
    let headers = r.headers_mut();
    headers.insert(
        header::VARY,
        header::HeaderValue::from_static("accept-encoding"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        let served = r.status().is_success() || r.status() == StatusCode::NOT_MODIFIED;
        let policy = if served && is_content_hashed(uri.path()) {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        r.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static(policy),
        );
    }
    r
}

/// `name.<12 hex digits>.ext`, as scripts/build-web.sh names the files it hashes.
fn is_content_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let mut parts = file.rsplit('.');
    let (Some(ext), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !ext.is_empty()
        && !stem.is_empty()
        && hash.len() == 12
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `index.html` carries the base path: never cache it across deployments.
fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::is_content_hashed;

    #[test]
    fn only_names_with_a_content_hash_are_immutable() {
        assert!(is_content_hashed(
            "/pkg/kafscope_frontend_bg.0123456789ab.wasm"
        ));
        assert!(is_content_hashed("/base/vendor/uPlot.min.a1b2c3d4e5f6.css"));
        assert!(!is_content_hashed("/style.css"));
        assert!(!is_content_hashed("/pkg/kafscope_frontend_bg.wasm"));
        assert!(
            !is_content_hashed("/x.0123456789AB.js"),
            "upper-case is not ours"
        );
        assert!(!is_content_hashed("/x.0123456789a.js"), "11 digits");
        assert!(!is_content_hashed("/.0123456789ab.js"), "no stem");
        assert!(!is_content_hashed(
            "/clusters/prod/topics/orders.0123456789ab"
        ));
    }
}
