//! What a widget or badge URL may carry, and the rules checked before any data is read (the
//! same rules when a link is minted, so a link never leads to an error page).

use axum::http::StatusCode;
use serde::Deserialize;

use crate::embed::chart::Unit;
use crate::embed::html::Theme;

/// Group charts: at most this far back.
pub const MAX_RANGE: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);
/// … and at least this far.
pub const MIN_RANGE: std::time::Duration = std::time::Duration::from_secs(60);
/// Longest group id a link is made for (topic names are at most 249 by Kafka's rules).
pub const MAX_NAME: usize = 1024;

/// The parameters every widget and badge understands (a signed link adds `exp` and `sig`).
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WidgetQuery {
    pub cluster: Option<String>,
    pub group: Option<String>,
    pub topic: Option<String>,
    /// Group charts: how far back (`6h` by default, `1m` to `30d`).
    pub range: Option<String>,
    /// `messages` (default) or `seconds`.
    pub unit: Option<String>,
    /// `light`, `dark` or `auto` (default).
    pub theme: Option<String>,
    /// `true`: less padding, no links or footer.
    pub compact: Option<String>,
    /// Topic widgets of signed links: `true` when the link's maker may see every group, so
    /// the groups reading the topic are listed.
    pub with_groups: Option<String>,
    /// A signed link's expiry (unix seconds).
    pub exp: Option<String>,
    /// A signed link's signature; checked by the authentication layer.
    #[allow(dead_code)]
    pub sig: Option<String>,
}

/// Why a widget cannot be shown: the status, a code for the parent page's `error` event,
/// and the sentence.
pub struct Failure {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl From<crate::http::ApiError> for Failure {
    fn from(e: crate::http::ApiError) -> Failure {
        let (status, code) = e.parts();
        let message = match &e {
            crate::http::ApiError::Internal(inner) => {
                tracing::error!(error = ?inner, "internal error in a widget");
                "internal error; see the server log".to_string()
            }
            other => other.to_string(),
        };
        Failure {
            status,
            code,
            message,
        }
    }
}

pub fn bad(message: impl Into<String>) -> Failure {
    Failure {
        status: StatusCode::BAD_REQUEST,
        code: "bad_request",
        message: message.into(),
    }
}

pub fn required<'a>(v: &'a Option<String>, name: &str, widget: &str) -> Result<&'a str, Failure> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad(format!("the {widget} widget needs the parameter {name}")))
}

pub fn compact(v: &Option<String>) -> Result<bool, Failure> {
    match v.as_deref() {
        None | Some("0") | Some("false") => Ok(false),
        Some("") | Some("1") | Some("true") => Ok(true),
        Some(o) => Err(bad(format!("compact must be true or false, got '{o}'"))),
    }
}

/// Only the parameters a widget reads may be given: a stray one is a mistake (and would be
/// signed into a link for nothing).
fn only(q: &WidgetQuery, allowed: &[&str], what: &str) -> Result<(), Failure> {
    let given = [
        ("group", q.group.is_some()),
        ("topic", q.topic.is_some()),
        ("range", q.range.is_some()),
        ("unit", q.unit.is_some()),
        ("with_groups", q.with_groups.is_some()),
    ];
    match given.iter().find(|(n, set)| *set && !allowed.contains(n)) {
        Some((n, _)) => Err(bad(format!("{what} takes no parameter {n}"))),
        None => Ok(()),
    }
}

/// A name a link may carry: not empty, not too long, no control characters.
fn plain(v: &Option<String>, what: &str) -> Result<(), Failure> {
    match v {
        Some(n) if n.chars().count() > MAX_NAME => Err(bad(format!(
            "the {what} name is longer than {MAX_NAME} characters"
        ))),
        Some(n) if n.chars().any(char::is_control) => {
            Err(bad(format!("the {what} name holds control characters")))
        }
        _ => Ok(()),
    }
}

/// The parameter rules of each widget and badge, without reading any data.
pub fn check(widget: &str, q: &WidgetQuery) -> Result<(), Failure> {
    Theme::parse(q.theme.as_deref()).map_err(bad)?;
    Unit::parse(q.unit.as_deref()).map_err(bad)?;
    compact(&q.compact)?;
    plain(&q.cluster, "cluster")?;
    plain(&q.group, "group")?;
    plain(&q.topic, "topic")?;
    if let Some(w) = &q.with_groups {
        if w != "true" {
            return Err(bad("with_groups can only be true"));
        }
    }
    if let Some(r) = &q.range {
        let d = humantime::parse_duration(r)
            .map_err(|_| bad(format!("range must be a duration like 6h or 7d, got '{r}'")))?;
        if d < MIN_RANGE || d > MAX_RANGE {
            return Err(bad(format!("range must be from 1m to 30d, got '{r}'")));
        }
    }
    match widget {
        "health" => only(q, &[], "the health widget"),
        "group-lag" => {
            required(&q.group, "group", widget)?;
            only(q, &["group", "range", "unit"], "the group-lag widget")
        }
        "topic" => {
            required(&q.topic, "topic", widget)?;
            only(q, &["topic", "with_groups"], "the topic widget")
        }
        "alerts" => only(q, &["group", "topic"], "the alerts widget"),
        "health.svg" => only(q, &[], "the health badge"),
        "group-status.svg" => {
            required(&q.group, "group", widget)?;
            only(q, &["group"], "the group-status badge")
        }
        _ => {
            required(&q.group, "group", widget)?;
            only(q, &["group", "unit"], "the group-lag badge")
        }
    }
    .and_then(|_| {
        if widget.ends_with(".svg") && (q.theme.is_some() || q.compact.is_some()) {
            Err(bad("badges take no theme or compact"))
        } else {
            Ok(())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(group: Option<&str>, range: Option<&str>) -> WidgetQuery {
        WidgetQuery {
            cluster: Some("c".into()),
            group: group.map(String::from),
            range: range.map(String::from),
            ..Default::default()
        }
    }

    #[test]
    fn each_widget_takes_its_own_parameters() {
        assert!(check("group-lag", &q(Some("g"), Some("6h"))).is_ok());
        assert!(check("group-lag", &q(None, None)).is_err());
        assert!(check("health", &q(Some("g"), None)).is_err());
        assert!(check("group-status.svg", &q(Some("g"), None)).is_ok());
        let mut themed = q(Some("g"), None);
        themed.theme = Some("dark".into());
        assert!(check("group-status.svg", &themed).is_err());
        let mut listed = q(None, None);
        listed.topic = Some("t".into());
        listed.with_groups = Some("true".into());
        assert!(check("topic", &listed).is_ok());
        listed.with_groups = Some("yes".into());
        assert!(check("topic", &listed).is_err());
    }

    #[test]
    fn ranges_are_bounded_before_a_link_is_made() {
        for bad_range in ["soon", "0s", "30s", "60d"] {
            assert!(
                check("group-lag", &q(Some("g"), Some(bad_range))).is_err(),
                "{bad_range}"
            );
        }
        assert!(check("group-lag", &q(Some("g"), Some("30d"))).is_ok());
    }

    #[test]
    fn names_are_plain_and_bounded() {
        assert!(check("group-lag", &q(Some("a\nb"), None)).is_err());
        assert!(check("group-lag", &q(Some(&"g".repeat(MAX_NAME + 1)), None)).is_err());
        assert!(check("group-lag", &q(Some("orders v2 & co é"), None)).is_ok());
    }
}
