//! The `[auth]` section: ways to sign in (OpenID Connect, trusted proxy headers, local users,
//! API tokens), custom roles, role bindings with scopes, sessions. Read from the file like
//! every other section; a bad value fails the start with the key and the reason.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;

use super::access::{builtin_roles, Binding, Permission, Role, Scope};
use crate::config::{parse_duration, ConfigError, Secret};

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileAuth {
    /// `none`: run without sign-in (needed explicitly on a non-loopback address).
    mode: Option<String>,
    session_idle_timeout: Option<String>,
    session_max_age: Option<String>,
    /// Role of requests nobody signed in for (default: none when sign-in is configured,
    /// `admin` when it is not).
    anonymous_role: Option<String>,
    /// Role of every signed-in identity, on top of its bindings.
    default_role: Option<String>,
    /// `/metrics` without credentials (default true).
    metrics_public: Option<bool>,
    /// The console's external URL (OIDC redirect, origin checks behind a proxy).
    public_url: Option<String>,
    /// Failed sign-ins allowed per user and address within `login_window`.
    login_attempts: Option<u32>,
    login_window: Option<String>,
    oidc: Option<FileOidc>,
    proxy: Option<FileProxy>,
    #[serde(default)]
    users: Vec<FileUser>,
    #[serde(default)]
    roles: Vec<FileRole>,
    #[serde(default)]
    bindings: Vec<FileBinding>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOidc {
    issuer: String,
    client_id: String,
    client_secret: Option<String>,
    scopes: Option<Vec<String>>,
    /// Claim holding the user's groups or roles (a dotted path: `realm_access.roles`).
    roles_claim: Option<String>,
    name_claim: Option<String>,
    /// Text of the sign-in button.
    label: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileProxy {
    /// Addresses (CIDRs) of the proxies whose headers are believed.
    trusted: Vec<String>,
    user_header: Option<String>,
    email_header: Option<String>,
    groups_header: Option<String>,
    groups_separator: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileUser {
    name: String,
    /// argon2 PHC string (`kafscope hash-password`).
    password_hash: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    display_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRole {
    name: String,
    permissions: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBinding {
    role: String,
    /// Identity groups (OIDC claim values, proxy group header values, local users' groups).
    #[serde(default)]
    groups: Vec<String>,
    /// User names, OIDC subjects or e-mail addresses.
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    clusters: Vec<String>,
    topics: Option<String>,
    consumer_groups: Option<String>,
}

#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub scopes: Vec<String>,
    pub roles_claim: String,
    pub name_claim: String,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct ProxyConfig {
    pub trusted: Vec<Cidr>,
    pub user_header: String,
    pub email_header: String,
    pub groups_header: String,
    pub groups_separator: String,
}

#[derive(Clone)]
pub struct LocalUser {
    pub name: String,
    pub display_name: String,
    pub password_hash: String,
    pub roles: Vec<String>,
    pub groups: Vec<String>,
}

impl std::fmt::Debug for LocalUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalUser")
            .field("name", &self.name)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

/// A binding as configured: who it is for, and the role where it applies.
#[derive(Debug, Clone)]
pub struct BindingRule {
    pub groups: Vec<String>,
    pub users: Vec<String>,
    pub binding: Binding,
}

/// The resolved `[auth]` section.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Sign-in is configured (OIDC, proxy or local users).
    pub enabled: bool,
    /// Explicit `mode = "none"`.
    pub explicitly_open: bool,
    pub session_idle: Duration,
    pub session_max: Duration,
    pub anonymous: Vec<Binding>,
    pub default_role: Option<Role>,
    pub metrics_public: bool,
    pub public_url: Option<String>,
    pub login_attempts: u32,
    pub login_window: Duration,
    pub oidc: Option<OidcConfig>,
    pub proxy: Option<ProxyConfig>,
    pub users: Vec<LocalUser>,
    pub roles: Vec<Role>,
    pub bindings: Vec<BindingRule>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        FileAuth::default()
            .build("", "127.0.0.1:8080".parse().unwrap())
            .expect("the empty [auth] section is valid")
    }
}

impl AuthConfig {
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// The bindings of an identity: the default role, its own roles (local users), and
    /// every configured binding that names it or one of its groups.
    pub fn bindings_for(
        &self,
        ids: &[&str],
        groups: &[String],
        own_roles: &[String],
    ) -> Vec<Binding> {
        let mut out = Vec::new();
        if let Some(r) = &self.default_role {
            out.push(Binding {
                role: r.clone(),
                scope: Scope::everywhere(),
            });
        }
        for name in own_roles {
            if let Some(r) = self.role(name) {
                out.push(Binding {
                    role: r.clone(),
                    scope: Scope::everywhere(),
                });
            }
        }
        for rule in &self.bindings {
            let by_user = rule.users.iter().any(|u| ids.contains(&u.as_str()));
            let by_group = rule.groups.iter().any(|g| groups.contains(g));
            if by_user || by_group {
                out.push(rule.binding.clone());
            }
        }
        out
    }
}

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, bits) = match s.trim().split_once('/') {
            Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        (bits <= max).then_some(Cidr { addr, bits })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 peer seen as an IPv4-mapped IPv6 address is the same peer.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - self.bits as u32).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - self.bits as u32).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FileAuth {
    /// Resolve and check the section; `listen` decides whether running without sign-in is
    /// allowed implicitly.
    pub fn build(
        self,
        origin: &str,
        listen: std::net::SocketAddr,
    ) -> Result<AuthConfig, ConfigError> {
        let err = |key: &str, why: String| ConfigError::new(origin, format!("auth.{key}"), why);
        let dur = |v: &Option<String>, key: &str, default: Duration| match v {
            Some(s) => parse_duration(s, origin, &format!("auth.{key}")),
            None => Ok(default),
        };
        let mut roles = builtin_roles();
        for (i, r) in self.roles.iter().enumerate() {
            if roles.iter().any(|x| x.name == r.name) {
                return Err(err(&format!("roles[{i}].name"), format!("role '{}' is defined twice (viewer, reader, operator and admin are built in)", r.name)));
            }
            let permissions = r
                .permissions
                .iter()
                .map(|p| {
                    Permission::parse(p).ok_or_else(|| {
                        err(
                            &format!("roles[{i}].permissions"),
                            format!(
                                "'{p}' is not a permission ({})",
                                Permission::ALL.map(|p| p.as_str()).join(", ")
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            roles.push(Role {
                name: r.name.clone(),
                permissions,
            });
        }
        let find_role = |name: &str, key: &str| {
            roles
                .iter()
                .find(|r| r.name == name)
                .cloned()
                .ok_or_else(|| {
                    err(
                        key,
                        format!(
                            "'{name}' is not a role ({})",
                            roles
                                .iter()
                                .map(|r| r.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })
        };
        let oidc = match self.oidc {
            None => None,
            Some(o) => {
                if !(o.issuer.starts_with("https://") || o.issuer.starts_with("http://")) {
                    return Err(err(
                        "oidc.issuer",
                        format!("'{}' is not an http(s) URL", o.issuer),
                    ));
                }
                Some(OidcConfig {
                    issuer: o.issuer.trim_end_matches('/').to_string(),
                    client_id: o.client_id,
                    client_secret: o.client_secret.filter(|s| !s.is_empty()).map(Secret),
                    scopes: o.scopes.unwrap_or_else(|| {
                        ["openid", "profile", "email"].map(String::from).to_vec()
                    }),
                    roles_claim: o.roles_claim.unwrap_or_else(|| "groups".into()),
                    name_claim: o.name_claim.unwrap_or_else(|| "preferred_username".into()),
                    label: o
                        .label
                        .unwrap_or_else(|| "Sign in with single sign-on".into()),
                })
            }
        };
        let proxy = match self.proxy {
            None => None,
            Some(p) => {
                let trusted = p
                    .trusted
                    .iter()
                    .map(|c| {
                        Cidr::parse(c).ok_or_else(|| {
                            err(
                                "proxy.trusted",
                                format!("'{c}' is not an address or CIDR (10.0.0.0/8, ::1)"),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if trusted.is_empty() {
                    return Err(err(
                        "proxy.trusted",
                        "list the proxies' addresses: headers from anywhere else are ignored"
                            .into(),
                    ));
                }
                Some(ProxyConfig {
                    trusted,
                    user_header: p.user_header.unwrap_or_else(|| "X-Forwarded-User".into()),
                    email_header: p.email_header.unwrap_or_else(|| "X-Forwarded-Email".into()),
                    groups_header: p
                        .groups_header
                        .unwrap_or_else(|| "X-Forwarded-Groups".into()),
                    groups_separator: p.groups_separator.unwrap_or_else(|| ",".into()),
                })
            }
        };
        let mut users = Vec::new();
        for (i, u) in self.users.into_iter().enumerate() {
            if argon2::PasswordHash::new(&u.password_hash).is_err() {
                return Err(err(
                    &format!("users[{i}].password_hash"),
                    "is not an argon2 hash: make one with `kafscope hash-password`".into(),
                ));
            }
            for r in &u.roles {
                find_role(r, &format!("users[{i}].roles"))?;
            }
            if users.iter().any(|x: &LocalUser| x.name == u.name) {
                return Err(err(
                    &format!("users[{i}].name"),
                    format!("user '{}' is defined twice", u.name),
                ));
            }
            users.push(LocalUser {
                display_name: u.display_name.unwrap_or_else(|| u.name.clone()),
                name: u.name,
                password_hash: u.password_hash,
                roles: u.roles,
                groups: u.groups,
            });
        }
        let mut bindings = Vec::new();
        for (i, b) in self.bindings.into_iter().enumerate() {
            let key = |k: &str| format!("bindings[{i}].{k}");
            let regex = |v: &Option<String>, k: &str| {
                v.as_deref()
                    .map(|s| {
                        Regex::new(s).map_err(|e| {
                            err(&key(k), format!("not a valid regular expression: {e}"))
                        })
                    })
                    .transpose()
            };
            if b.groups.is_empty() && b.users.is_empty() {
                return Err(err(
                    &key("groups"),
                    "a binding names groups or users".into(),
                ));
            }
            bindings.push(BindingRule {
                binding: Binding {
                    role: find_role(&b.role, &key("role"))?,
                    scope: Scope {
                        clusters: b.clusters,
                        topics: regex(&b.topics, "topics")?,
                        groups: regex(&b.consumer_groups, "consumer_groups")?,
                    },
                },
                groups: b.groups,
                users: b.users,
            });
        }
        let enabled = oidc.is_some() || proxy.is_some() || !users.is_empty();
        let explicitly_open = match self.mode.as_deref() {
            None => false,
            Some("none") => {
                if enabled {
                    return Err(err("mode", "is \"none\" while sign-in is configured: remove one".into()));
                }
                true
            }
            Some(other) => {
                return Err(err("mode", format!("'{other}' is not a mode: leave it out when oidc, proxy or users are configured, or set \"none\"")))
            }
        };
        if !enabled && !explicitly_open && !listen.ip().is_loopback() {
            return Err(err(
                "mode",
                format!("the console listens on {listen}, not only on this machine, and nobody has to sign in: configure [auth.oidc], [auth.proxy] or [[auth.users]], or set auth.mode = \"none\" to run it open"),
            ));
        }
        let anonymous = match (self.anonymous_role.as_deref(), enabled) {
            (Some(""), _) | (None, true) => Vec::new(),
            (Some(r), _) => vec![Binding {
                role: find_role(r, "anonymous_role")?,
                scope: Scope::everywhere(),
            }],
            // No sign-in at all: the open console of a laptop or a trusted network.
            (None, false) => vec![Binding {
                role: find_role("admin", "anonymous_role")?,
                scope: Scope::everywhere(),
            }],
        };
        let default_role = self
            .default_role
            .as_deref()
            .map(|r| find_role(r, "default_role"))
            .transpose()?;
        let public_url = self.public_url.map(|u| u.trim_end_matches('/').to_string());
        if let Some(u) = &public_url {
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                return Err(err("public_url", format!("'{u}' is not an http(s) URL")));
            }
        }
        Ok(AuthConfig {
            enabled,
            explicitly_open,
            session_idle: dur(
                &self.session_idle_timeout,
                "session_idle_timeout",
                Duration::from_secs(8 * 3600),
            )?,
            session_max: dur(
                &self.session_max_age,
                "session_max_age",
                Duration::from_secs(7 * 86_400),
            )?,
            anonymous,
            default_role,
            metrics_public: self.metrics_public.unwrap_or(true),
            public_url,
            login_attempts: self.login_attempts.unwrap_or(5).max(1),
            login_window: dur(&self.login_window, "login_window", Duration::from_secs(300))?,
            oidc,
            proxy,
            users,
            roles,
            bindings,
        })
    }
}

/// Roles by name, for listing.
pub fn role_table(c: &AuthConfig) -> BTreeMap<String, Vec<&'static str>> {
    c.roles
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                r.permissions.iter().map(|p| p.as_str()).collect(),
            )
        })
        .collect()
}

impl std::fmt::Debug for FileOidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileOidc")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for FileUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileUser")
            .field("name", &self.name)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(toml_src: &str, listen: &str) -> Result<AuthConfig, ConfigError> {
        let f: FileAuth = toml::from_str(toml_src).unwrap();
        f.build("kafscope.toml", listen.parse().unwrap())
    }

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$dGVzdGhhc2h0ZXN0aGFzaHRlc3RoYXNodGVzdGhhc2g";

    #[test]
    fn open_only_on_loopback_unless_said_so() {
        let c = build("", "127.0.0.1:8080").unwrap();
        assert!(!c.enabled && !c.explicitly_open);
        assert_eq!(c.anonymous[0].role.name, "admin");
        let e = build("", "0.0.0.0:8080").unwrap_err().to_string();
        assert!(e.contains("auth.mode"), "{e}");
        assert!(e.contains("0.0.0.0:8080"), "{e}");
        let c = build(
            "mode = \"none\"\nanonymous_role = \"viewer\"",
            "0.0.0.0:8080",
        )
        .unwrap();
        assert!(c.explicitly_open);
        assert_eq!(c.anonymous[0].role.name, "viewer");
    }

    #[test]
    fn users_roles_and_scoped_bindings() {
        let c = build(
            &format!(
                r#"
                [[users]]
                name = "olivia"
                password_hash = "{HASH}"
                groups = ["payments-team"]
                [[roles]]
                name = "auditor"
                permissions = ["view", "messages.read"]
                [[bindings]]
                role = "operator"
                groups = ["payments-team"]
                clusters = ["prod"]
                topics = '^payments\.'
                [[bindings]]
                role = "auditor"
                users = ["olivia"]
                "#
            ),
            "0.0.0.0:8080",
        )
        .unwrap();
        assert!(c.enabled);
        assert!(c.anonymous.is_empty(), "signing in is required");
        let b = c.bindings_for(&["olivia"], &["payments-team".into()], &[]);
        assert_eq!(b.len(), 2);
        assert_eq!(
            b[0].scope.describe(),
            r"clusters prod, topics /^payments\./"
        );
        assert_eq!(
            b[1].role.permissions,
            vec![Permission::View, Permission::MessagesRead]
        );
        assert!(c.bindings_for(&["someone"], &[], &[]).is_empty());
    }

    #[test]
    fn bad_values_name_their_key() {
        for (src, key) in [
            (
                "[[roles]]\nname = \"x\"\npermissions = [\"fly\"]",
                "auth.roles[0].permissions",
            ),
            (
                "[[roles]]\nname = \"admin\"\npermissions = []",
                "auth.roles[0].name",
            ),
            (
                "[[users]]\nname = \"a\"\npassword_hash = \"hunter2\"",
                "auth.users[0].password_hash",
            ),
            (
                "[[bindings]]\nrole = \"god\"\ngroups = [\"g\"]",
                "auth.bindings[0].role",
            ),
            (
                "[[bindings]]\nrole = \"viewer\"\ngroups = [\"g\"]\ntopics = \"(\"",
                "auth.bindings[0].topics",
            ),
            ("[proxy]\ntrusted = [\"10.0.0.0/99\"]", "auth.proxy.trusted"),
            ("mode = \"sso\"", "auth.mode"),
            ("anonymous_role = \"boss\"", "auth.anonymous_role"),
        ] {
            let e = build(src, "127.0.0.1:1").unwrap_err();
            assert_eq!(e.key, key, "{src}: {e}");
        }
    }

    #[test]
    fn cidrs_match_v4_v6_and_mapped_addresses() {
        let net = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.0.9".parse().unwrap()));
        let one = Cidr::parse("127.0.0.1").unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        assert!(Cidr::parse("::1/128")
            .unwrap()
            .contains("::1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Cidr::parse("nope").is_none());
    }
}
