//! The page every widget is written into: escaped text, the theme, and the data the widget
//! script needs (which origins may hear its events, how often to refresh). Pure.

use std::fmt::Write;

/// Text for HTML (and SVG) content and attribute values; control characters XML does not
/// allow become U+FFFD, so a badge with an odd group name is still a valid image.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A path segment, percent-encoded (everything but RFC 3986's unreserved characters).
pub fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `light`, `dark` or `auto` (follow the viewer's system setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
    Auto,
}

impl Theme {
    pub fn parse(s: Option<&str>) -> Result<Theme, String> {
        match s {
            None | Some("auto") => Ok(Theme::Auto),
            Some("light") => Ok(Theme::Light),
            Some("dark") => Ok(Theme::Dark),
            Some(o) => Err(format!("theme must be light, dark or auto, got '{o}'")),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::Auto => "auto",
        }
    }
}

/// How a widget page is framed.
#[derive(Debug, Clone)]
pub struct Frame<'a> {
    /// `health`, `group-lag`, `topic`, `alerts`, or `error`.
    pub widget: &'a str,
    pub title: &'a str,
    pub theme: Theme,
    pub compact: bool,
    /// Origins that may frame the widget and hear its events (`server.frame_ancestors`).
    pub origins: &'a [String],
    /// Seconds between refreshes; 0: none (error pages).
    pub refresh_s: u64,
    /// The link's expiry (unix seconds), when it came with a signed link.
    pub expires_at: Option<i64>,
    /// For error pages: a stable code the script reports to the parent.
    pub error: Option<&'a str>,
}

/// A whole widget page around `body` (already escaped HTML).
pub fn page(f: &Frame<'_>, body: &str) -> String {
    let mut s = String::with_capacity(body.len() + 800);
    let _ = write!(
        s,
        "<!doctype html><html lang=\"en\" data-theme=\"{}\"{}><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{} — Kafscope</title><link rel=\"stylesheet\" href=\"widget.css\"></head>\
         <body data-widget=\"{}\" data-origins=\"{}\" data-refresh=\"{}\"",
        f.theme.as_str(),
        if f.compact { " class=\"compact\"" } else { "" },
        esc(f.title),
        esc(f.widget),
        esc(&f.origins.join(" ")),
        f.refresh_s,
    );
    if let Some(e) = f.expires_at {
        let _ = write!(s, " data-expires=\"{e}\"");
    }
    if let Some(code) = f.error {
        let _ = write!(s, " data-error=\"{}\"", esc(code));
    }
    let _ = write!(
        s,
        "><main id=\"w\">{body}</main><script src=\"widget.js\"></script></body></html>"
    );
    s
}

/// The page shown instead of a widget: what went wrong and what to do.
pub fn error_page(theme: Theme, origins: &[String], code: &str, message: &str) -> String {
    page(
        &Frame {
            widget: "error",
            title: "Widget unavailable",
            theme,
            compact: false,
            origins,
            refresh_s: 0,
            expires_at: None,
            error: Some(code),
        },
        &format!(
            "<section class=\"error\" role=\"alert\"><h1>Kafscope widget unavailable</h1>\
             <p>{}</p></section>",
            esc(message)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(esc("a\u{1}b\u{7f}"), "a\u{FFFD}b\u{FFFD}");
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>"a" & 'b'</script>"#),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn the_error_page_carries_its_code_and_escaped_message() {
        let p = error_page(Theme::Dark, &["https://portal".into()], "expired", "<gone>");
        assert!(p.contains("data-error=\"expired\""));
        assert!(p.contains("&lt;gone&gt;"));
        assert!(p.contains("data-theme=\"dark\""));
        assert!(p.contains("data-origins=\"https://portal\""));
        assert!(p.contains("data-refresh=\"0\""));
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(seg("orders v2/é"), "orders%20v2%2F%C3%A9");
        assert_eq!(seg("a-b_c.d~e"), "a-b_c.d~e");
    }

    #[test]
    fn themes_parse_strictly() {
        assert_eq!(Theme::parse(None), Ok(Theme::Auto));
        assert_eq!(Theme::parse(Some("dark")), Ok(Theme::Dark));
        assert!(Theme::parse(Some("blue")).is_err());
    }
}
