//! Signed embed links (DESIGN.md §7): a widget URL whose path and every query parameter are
//! covered by an HMAC-SHA256 with a server key, with an expiry. Pure: no clock, no I/O.
//!
//! The canonical form signed is the path below the base path, then each query parameter
//! except `sig`, sorted by name and value, as `name=value` lines (decoded). A changed,
//! added or removed parameter, another path or a passed `exp` fails verification; a link
//! therefore authorises the one widget view it was made for and nothing else.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The query parameter carrying the signature.
pub const SIG: &str = "sig";
/// The query parameter carrying the expiry (unix seconds).
pub const EXP: &str = "exp";

/// Why a link was not accepted, in words for the error page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    /// No `exp`, or not a number.
    Malformed(String),
    /// The signature does not match this path and these parameters.
    BadSignature,
    /// Valid, but past its expiry (unix seconds).
    Expired(i64),
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkError::Malformed(why) => write!(f, "this embed link is malformed: {why}"),
            LinkError::BadSignature => f.write_str(
                "this embed link's signature does not match: the link was changed, or made \
                 by another Kafscope or with a retired key; ask the portal for a new one",
            ),
            LinkError::Expired(_) => f.write_str(
                "this embed link has expired: reload the page that shows it to get a new one",
            ),
        }
    }
}

/// A verified link: its path and parameters (without `sig`), and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub path: String,
    pub params: BTreeMap<String, String>,
    pub expires_at: i64,
}

/// Decoded query pairs, in order.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The text signed: the path, then the parameters but `sig`, sorted, each name and value
/// form-encoded — so no value can be read back as other parameters (`=`, `&` and line breaks
/// are escaped inside a value).
fn canonical(path: &str, pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != SIG).collect();
    sorted.sort();
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in sorted {
        q.append_pair(k, v);
    }
    format!("{path}?{}", q.finish())
}

fn mac(key: &[u8], text: &str) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    m.update(text.as_bytes());
    m
}

/// The query string of a signed link for `path` with `params` (which must not hold `exp`
/// or `sig`), expiring at `expires_at` (unix seconds).
pub fn sign(key: &[u8], path: &str, params: &BTreeMap<String, String>, expires_at: i64) -> String {
    let mut pairs: Vec<(String, String)> =
        params.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    pairs.push((EXP.to_string(), expires_at.to_string()));
    let sig = B64URL.encode(mac(key, &canonical(path, &pairs)).finalize().into_bytes());
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &pairs {
        q.append_pair(k, v);
    }
    q.append_pair(SIG, &sig);
    q.finish()
}

/// Check a request's path and query against the keys (the current one first, then the
/// previous one during a rotation) at `now` (unix seconds).
pub fn verify(keys: &[&[u8]], path: &str, query: &str, now: i64) -> Result<Link, LinkError> {
    let pairs = query_pairs(query);
    let sigs: Vec<&String> = pairs
        .iter()
        .filter(|(k, _)| k == SIG)
        .map(|(_, v)| v)
        .collect();
    let [sig] = sigs.as_slice() else {
        return Err(LinkError::Malformed("it must carry exactly one sig".into()));
    };
    let given = B64URL
        .decode(sig.as_bytes())
        .map_err(|_| LinkError::BadSignature)?;
    let text = canonical(path, &pairs);
    // verify_slice compares in constant time.
    if !keys
        .iter()
        .any(|k| mac(k, &text).verify_slice(&given).is_ok())
    {
        return Err(LinkError::BadSignature);
    }
    let mut params = BTreeMap::new();
    for (k, v) in pairs {
        if k == SIG {
            continue;
        }
        if params.insert(k.clone(), v).is_some() {
            return Err(LinkError::Malformed(format!("'{k}' is given twice")));
        }
    }
    let expires_at = params
        .remove(EXP)
        .and_then(|e| e.parse::<i64>().ok())
        .ok_or_else(|| LinkError::Malformed("it has no valid exp".into()))?;
    if now >= expires_at {
        return Err(LinkError::Expired(expires_at));
    }
    Ok(Link {
        path: path.to_string(),
        params,
        expires_at,
    })
}

/// Parameters from pairs (tests here and in `http::embed`).
#[cfg(test)]
pub(crate) fn params(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_signed_link_verifies_and_gives_back_its_parameters() {
        let p = params(&[
            ("cluster", "prod"),
            ("group", "orders & co"),
            ("theme", "dark"),
        ]);
        let q = sign(KEY, "/embed/group-lag", &p, 2_000);
        let link = verify(&[KEY], "/embed/group-lag", &q, 1_999).unwrap();
        assert_eq!(link.params, p);
        assert_eq!(link.expires_at, 2_000);
        // Parameter order does not matter.
        let mut parts: Vec<&str> = q.split('&').collect();
        parts.reverse();
        assert!(verify(&[KEY], "/embed/group-lag", &parts.join("&"), 1_000).is_ok());
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let p = params(&[("cluster", "prod"), ("group", "orders")]);
        let q = sign(KEY, "/embed/group-lag", &p, 2_000);
        let bad = |path: &str, query: &str| verify(&[KEY], path, query, 1_000).unwrap_err();
        assert_eq!(bad("/embed/topic", &q), LinkError::BadSignature);
        assert_eq!(
            bad("/embed/group-lag", &q.replace("orders", "payments")),
            LinkError::BadSignature
        );
        assert_eq!(
            bad("/embed/group-lag", &format!("{q}&theme=dark")),
            LinkError::BadSignature
        );
        assert_eq!(
            bad("/embed/group-lag", &q.replace("exp=2000", "exp=9000")),
            LinkError::BadSignature
        );
        assert_eq!(
            bad("/embed/group-lag", "cluster=prod&group=orders&exp=2000"),
            LinkError::Malformed("it must carry exactly one sig".into())
        );
        // Another key (another console, a retired key) does not verify.
        assert_eq!(
            verify(&[b"another key".as_slice()], "/embed/group-lag", &q, 1_000).unwrap_err(),
            LinkError::BadSignature
        );
    }

    #[test]
    fn an_expired_link_is_refused_after_its_signature_is_checked() {
        let q = sign(KEY, "/embed/health", &params(&[("cluster", "c")]), 2_000);
        assert_eq!(
            verify(&[KEY], "/embed/health", &q, 2_000).unwrap_err(),
            LinkError::Expired(2_000)
        );
    }

    #[test]
    fn the_previous_key_still_verifies_during_a_rotation() {
        let q = sign(KEY, "/embed/health", &params(&[("cluster", "c")]), 2_000);
        let new: &[u8] = b"the new key, also long enough...";
        assert!(verify(&[new, KEY], "/embed/health", &q, 1_000).is_ok());
        assert!(verify(&[new], "/embed/health", &q, 1_000).is_err());
    }

    #[test]
    fn a_value_cannot_be_split_into_other_parameters() {
        // A group whose name holds what looks like another parameter, signed as one value …
        let p = params(&[("cluster", "c"), ("group", "team-a-x\ntopic=payments")]);
        let q = sign(KEY, "/embed/alerts", &p, 2_000);
        assert_eq!(
            verify(&[KEY], "/embed/alerts", &q, 1_000).unwrap().params,
            p
        );
        // … does not verify as two parameters.
        let sig = q.split("sig=").nth(1).unwrap();
        let split = format!("cluster=c&group=team-a-x&topic=payments&exp=2000&sig={sig}");
        assert_eq!(
            verify(&[KEY], "/embed/alerts", &split, 1_000).unwrap_err(),
            LinkError::BadSignature
        );
    }

    #[test]
    fn a_parameter_given_twice_is_refused() {
        let p = params(&[("cluster", "c")]);
        let q = sign(KEY, "/embed/health", &p, 2_000);
        // Signed with the duplicate included: still refused as ambiguous.
        let dup = vec![
            ("cluster".to_string(), "c".to_string()),
            ("cluster".to_string(), "d".to_string()),
            (EXP.to_string(), "2000".to_string()),
        ];
        let sig = B64URL.encode(
            mac(KEY, &canonical("/embed/health", &dup))
                .finalize()
                .into_bytes(),
        );
        let q2 = format!("cluster=c&cluster=d&exp=2000&sig={sig}");
        assert!(verify(&[KEY], "/embed/health", &q, 1_000).is_ok());
        assert_eq!(
            verify(&[KEY], "/embed/health", &q2, 1_000).unwrap_err(),
            LinkError::Malformed("'cluster' is given twice".into())
        );
    }
}
