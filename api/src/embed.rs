//! Signed embed links: what a portal's backend asks for and gets (`POST /api/v1/embed-links`).

use serde::{Deserialize, Serialize};

/// One widget or badge for one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmbedLinkRequest {
    /// `health`, `group-lag`, `topic`, `alerts` (widgets) or `health.svg`,
    /// `group-status.svg`, `group-lag.svg` (badges).
    pub widget: String,
    pub cluster: String,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    /// Group charts: how far back, e.g. `6h` (default), at most `30d`.
    #[serde(default)]
    pub range: Option<String>,
    /// Group charts and lag badges: `messages` (default) or `seconds`.
    #[serde(default)]
    pub unit: Option<String>,
    /// `light`, `dark` or `auto` (default: the viewer's system setting).
    #[serde(default)]
    pub theme: Option<String>,
    #[serde(default)]
    pub compact: Option<bool>,
    /// How long the link works, e.g. `15m`; default `server.embed_link_ttl`, at most
    /// `server.embed_link_max_ttl`.
    #[serde(default)]
    pub ttl: Option<String>,
}

/// A signed link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbedLink {
    /// Absolute when `auth.public_url` is configured, else from the console's root
    /// (`/kafka/embed/…` under a base path): put it in an iframe's `src` or an `<img>`.
    pub url: String,
    pub widget: String,
    /// RFC 3339.
    pub expires_at: String,
}
