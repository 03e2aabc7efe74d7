//! Embedding in portals (DESIGN.md §7): the frame and CORS allowlists, signed embed links,
//! server-rendered widgets and SVG badges. The HTTP side is `http::embed`.

pub mod badge;
pub mod chart;
pub mod html;
pub mod link;
pub mod widgets;

use std::time::Duration;

use crate::config::Secret;

/// The widgets a link or an `embed.js` placeholder can name.
pub const WIDGETS: [&str; 4] = ["health", "group-lag", "topic", "alerts"];
/// The badges.
pub const BADGES: [&str; 3] = ["health.svg", "group-status.svg", "group-lag.svg"];

/// `[server]` keys about embedding.
#[derive(Clone, Debug)]
pub struct EmbedConfig {
    /// Origins that may frame the console and its widgets (CSP `frame-ancestors`); empty:
    /// this console's own pages only.
    pub frame_ancestors: Vec<String>,
    /// Origins whose pages may call the API from the browser (CORS).
    pub cors_origins: Vec<String>,
    /// The embed-link signing key; `None`: one the server makes and keeps in its store.
    pub key: Option<Secret>,
    /// The key before a rotation, still accepted (for one link lifetime).
    pub previous_key: Option<Secret>,
    pub link_ttl: Duration,
    pub link_max_ttl: Duration,
    /// Badges readable without a session or a signed link.
    pub public_badges: bool,
}

impl Default for EmbedConfig {
    fn default() -> Self {
        EmbedConfig {
            frame_ancestors: Vec::new(),
            cors_origins: Vec::new(),
            key: None,
            previous_key: None,
            link_ttl: Duration::from_secs(30 * 60),
            link_max_ttl: Duration::from_secs(24 * 3600),
            public_badges: false,
        }
    }
}

/// An origin as browsers send it: `https://portal.example.com[:8443]`, lower case, no path;
/// `https://*.example.com` allows every subdomain (as CSP does).
pub fn parse_origin(raw: &str) -> Result<String, String> {
    let mut s = raw.trim().trim_end_matches('/').to_ascii_lowercase();
    // Browsers leave the scheme's default port out of an Origin.
    for (scheme, port) in [("https://", ":443"), ("http://", ":80")] {
        if s.starts_with(scheme) && s.ends_with(port) {
            s.truncate(s.len() - port.len());
        }
    }
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| format!("'{raw}' is not an origin like https://portal.example.com"))?;
    let wildcard = rest.starts_with("*.");
    let host = rest.strip_prefix("*.").unwrap_or(rest);
    if wildcard && !host.split(':').next().unwrap_or_default().contains('.') {
        return Err(format!(
            "'{raw}' allows every site under a top-level domain: name the domain (https://*.example.com)"
        ));
    }
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host, None),
    };
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !name.starts_with('.')
        && !name.ends_with('.');
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.parse::<u16>().is_ok());
    if !name_ok || !port_ok || rest.contains('/') {
        return Err(format!(
            "'{raw}' is not an origin like https://portal.example.com (scheme, host and port only)"
        ));
    }
    Ok(s)
}

/// Whether `origin` (as a browser sent it) is on `list` (entries from [`parse_origin`]).
pub fn origin_allowed(list: &[String], origin: &str) -> bool {
    let origin = origin.to_ascii_lowercase();
    list.iter().any(|entry| match entry.split_once("://*.") {
        Some((scheme, suffix)) => origin
            .strip_prefix(scheme)
            .and_then(|o| o.strip_prefix("://"))
            .is_some_and(|host| host.ends_with(&format!(".{suffix}"))),
        None => *entry == origin,
    })
}

/// The signing keys, the current one first; the others are still accepted.
#[derive(Clone)]
pub struct Keys {
    pub current: Vec<u8>,
    pub accepted: Vec<Vec<u8>>,
}

impl Keys {
    pub fn all(&self) -> Vec<&[u8]> {
        std::iter::once(self.current.as_slice())
            .chain(self.accepted.iter().map(Vec::as_slice))
            .collect()
    }
}

/// What the HTTP layer needs: the configuration and the keys in use.
pub struct Embedding {
    pub cfg: EmbedConfig,
    pub keys: Keys,
    /// The `Content-Security-Policy` of every page.
    pub csp: String,
}

impl Embedding {
    /// `stored_key`: the key the server made and keeps in its store. It signs when no key is
    /// configured, and is still accepted when one is (links made before keep working until
    /// they expire).
    pub fn new(cfg: EmbedConfig, stored_key: String) -> Embedding {
        let stored = stored_key.into_bytes();
        let (current, mut accepted) = match &cfg.key {
            Some(k) => (k.0.clone().into_bytes(), vec![stored]),
            None => (stored, Vec::new()),
        };
        accepted.extend(cfg.previous_key.as_ref().map(|k| k.0.clone().into_bytes()));
        let csp = csp(&cfg.frame_ancestors);
        Embedding {
            keys: Keys { current, accepted },
            csp,
            cfg,
        }
    }
}

/// The policy the UI (WASM, uPlot) and the widgets run under: everything from this origin,
/// WebAssembly compiled, inline style attributes (the chart library sets them), no plugins,
/// and framing only by the allowlist.
pub fn csp(frame_ancestors: &[String]) -> String {
    let ancestors = if frame_ancestors.is_empty() {
        "'self'".to_string()
    } else {
        format!("'self' {}", frame_ancestors.join(" "))
    };
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
         base-uri 'self'; frame-ancestors {ancestors}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked_and_normalised() {
        assert_eq!(
            parse_origin("https://Portal.Example.com/").unwrap(),
            "https://portal.example.com"
        );
        assert_eq!(
            parse_origin("http://localhost:3000").unwrap(),
            "http://localhost:3000"
        );
        assert_eq!(
            parse_origin("https://*.corp.example").unwrap(),
            "https://*.corp.example"
        );
        assert_eq!(
            parse_origin("https://portal.example:443").unwrap(),
            "https://portal.example"
        );
        assert_eq!(parse_origin("http://portal:80").unwrap(), "http://portal");
        assert!(parse_origin("https://*.com").is_err());
        for bad in [
            "portal.example.com",
            "https://portal.example.com/wiki",
            "ftp://x",
            "https://",
            "https://a:99999",
            "https://a b",
            "*",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wildcards_cover_subdomains_of_the_same_scheme_only() {
        let list = vec![
            "https://*.corp.example".to_string(),
            "http://localhost:3000".to_string(),
        ];
        assert!(origin_allowed(&list, "https://wiki.corp.example"));
        assert!(origin_allowed(&list, "https://a.b.corp.example"));
        assert!(!origin_allowed(&list, "https://corp.example"));
        assert!(!origin_allowed(&list, "http://wiki.corp.example"));
        assert!(!origin_allowed(&list, "https://evilcorp.example"));
        assert!(origin_allowed(&list, "http://localhost:3000"));
        assert!(!origin_allowed(&list, "http://localhost:3001"));
    }

    #[test]
    fn the_policy_frames_only_the_allowlist() {
        assert!(csp(&[]).ends_with("frame-ancestors 'self'"));
        let p = csp(&["https://portal.example".into()]);
        assert!(p.ends_with("frame-ancestors 'self' https://portal.example"));
        assert!(p.contains("script-src 'self' 'wasm-unsafe-eval'"));
    }
}
