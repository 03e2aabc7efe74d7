//! Shields-style SVG badges: `label | message`, the message coloured by its tone. Pure.

use super::html::esc;

/// The colour of a tone (`ok`, `warn`, `crit`, `muted`).
pub fn colour(tone: &str) -> &'static str {
    match tone {
        "ok" => "#2f8f46",
        "warn" => "#c27c00",
        "crit" => "#c8322b",
        _ => "#7b8494",
    }
}

/// Approximate width of text in 11px Verdana (what shields.io lays badges out with), so a
/// badge fits its words without a font at hand.
fn text_width(s: &str) -> f64 {
    s.chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '.' | ',' | ':' | '\'' | '|' | '!' => 3.5,
            'm' | 'w' | 'M' | 'W' => 10.5,
            c if c.is_ascii_uppercase() => 8.0,
            ' ' => 4.0,
            c if c.is_ascii() => 7.0,
            // Wide scripts and symbols: better a little room than clipped text.
            _ => 11.0,
        })
        .sum()
}

/// A badge.
pub fn badge(label: &str, message: &str, tone: &str) -> String {
    let lw = (text_width(label) + 12.0).round();
    let mw = (text_width(message) + 12.0).round();
    let w = lw + mw;
    let (l, m) = (esc(label), esc(message));
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"20\" role=\"img\" \
         aria-label=\"{l}: {m}\"><title>{l}: {m}</title>\
         <linearGradient id=\"s\" x2=\"0\" y2=\"100%\"><stop offset=\"0\" stop-color=\"#bbb\" \
         stop-opacity=\".1\"/><stop offset=\"1\" stop-opacity=\".1\"/></linearGradient>\
         <clipPath id=\"r\"><rect width=\"{w}\" height=\"20\" rx=\"3\" fill=\"#fff\"/></clipPath>\
         <g clip-path=\"url(#r)\"><rect width=\"{lw}\" height=\"20\" fill=\"#555\"/>\
         <rect x=\"{lw}\" width=\"{mw}\" height=\"20\" fill=\"{c}\"/>\
         <rect width=\"{w}\" height=\"20\" fill=\"url(#s)\"/></g>\
         <g fill=\"#fff\" text-anchor=\"middle\" font-family=\"Verdana,Geneva,DejaVu Sans,sans-serif\" \
         font-size=\"11\"><text x=\"{lx}\" y=\"15\" fill=\"#010101\" fill-opacity=\".3\">{l}</text>\
         <text x=\"{lx}\" y=\"14\">{l}</text>\
         <text x=\"{mx}\" y=\"15\" fill=\"#010101\" fill-opacity=\".3\">{m}</text>\
         <text x=\"{mx}\" y=\"14\">{m}</text></g></svg>",
        c = colour(tone),
        lx = lw / 2.0,
        mx = lw + mw / 2.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_badge_carries_its_words_and_colour() {
        let b = badge("orders", "stalled", "crit");
        assert!(b.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(b.contains("aria-label=\"orders: stalled\""));
        assert!(b.contains("fill=\"#c8322b\""));
        assert!(!b.contains(colour("ok")));
    }

    #[test]
    fn each_state_has_its_colour() {
        use kafscope_api::{HealthVerdict, LagStatus};
        let fill = |tone: &str| {
            let b = badge("g", "s", tone);
            b.split("<rect x=")
                .nth(1)
                .unwrap()
                .split("fill=\"")
                .nth(1)
                .unwrap()[..7]
                .to_string()
        };
        for (status, want) in [
            (LagStatus::Ok, "#2f8f46"),
            (LagStatus::Idle, "#2f8f46"),
            (LagStatus::Slow, "#c27c00"),
            (LagStatus::Rewind, "#c27c00"),
            (LagStatus::Stalled, "#c8322b"),
            (LagStatus::Stopped, "#c8322b"),
            (LagStatus::DataLoss, "#c8322b"),
            (LagStatus::Inactive, "#7b8494"),
            (LagStatus::NoCommit, "#7b8494"),
            (LagStatus::TopicDeleted, "#7b8494"),
        ] {
            assert_eq!(fill(status.tone()), want, "{status:?}");
        }
        for (verdict, want) in [
            (HealthVerdict::Healthy, "#2f8f46"),
            (HealthVerdict::Warning, "#c27c00"),
            (HealthVerdict::Critical, "#c8322b"),
            (HealthVerdict::Unknown, "#7b8494"),
        ] {
            assert_eq!(fill(verdict.tone()), want, "{verdict:?}");
        }
    }

    #[test]
    fn names_are_escaped() {
        let b = badge("<g>", "a&b", "ok");
        assert!(b.contains("&lt;g&gt;") && b.contains("a&amp;b"));
        assert!(!b.contains("<g>:"));
    }

    #[test]
    fn longer_words_make_a_wider_badge() {
        let width = |s: &str| {
            let w = s.split("width=\"").nth(1).unwrap();
            w[..w.find('"').unwrap()].parse::<f64>().unwrap()
        };
        assert!(width(&badge("lag", "1.2M messages", "warn")) > width(&badge("lag", "0", "ok")));
    }
}
