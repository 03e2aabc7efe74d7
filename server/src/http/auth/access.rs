//! Who is asking and what they may do (DESIGN.md §7). Pure: a [`Principal`] with its role
//! bindings, a [`Permission`] and the [`Resource`] it concerns go in; [`allow`] says yes, or
//! no with the reason. Every route calls it on the server; the UI only mirrors it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use regex::Regex;
use serde::Serialize;

/// What a request wants to do. The names are the contract (configuration, API, audit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Snapshot views, charts, health, alerts.
    View,
    /// Message contents (browse, search, tail, single records).
    MessagesRead,
    MessagesExport,
    MessagesProduce,
    TopicsManage,
    /// Offset plans, execute, revert, delete groups.
    GroupsManage,
    /// Broker and cluster configs, leader election.
    ConfigsManage,
    SchemasManage,
    /// Silences, acknowledgements, rules, test notifications.
    AlertsManage,
    /// Tokens, users, everything.
    Admin,
}

impl Permission {
    pub const ALL: [Permission; 10] = [
        Permission::View,
        Permission::MessagesRead,
        Permission::MessagesExport,
        Permission::MessagesProduce,
        Permission::TopicsManage,
        Permission::GroupsManage,
        Permission::ConfigsManage,
        Permission::SchemasManage,
        Permission::AlertsManage,
        Permission::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::View => "view",
            Permission::MessagesRead => "messages.read",
            Permission::MessagesExport => "messages.export",
            Permission::MessagesProduce => "messages.produce",
            Permission::TopicsManage => "topics.manage",
            Permission::GroupsManage => "groups.manage",
            Permission::ConfigsManage => "configs.manage",
            Permission::SchemasManage => "schemas.manage",
            Permission::AlertsManage => "alerts.manage",
            Permission::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }

    /// A change to a cluster: refused on `read_only` clusters whatever the role.
    pub fn changes_kafka(self) -> bool {
        matches!(
            self,
            Permission::MessagesProduce
                | Permission::TopicsManage
                | Permission::GroupsManage
                | Permission::ConfigsManage
                | Permission::SchemasManage
        )
    }
}

/// A named list of permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub permissions: Vec<Permission>,
}

/// The built-in roles: viewer ⊂ reader ⊂ operator ⊂ admin.
pub fn builtin_roles() -> Vec<Role> {
    use Permission::*;
    let viewer = vec![View];
    let reader = [viewer.clone(), vec![MessagesRead, MessagesExport]].concat();
    let operator = [
        reader.clone(),
        vec![
            MessagesProduce,
            TopicsManage,
            GroupsManage,
            SchemasManage,
            AlertsManage,
        ],
    ]
    .concat();
    let role = |name: &str, permissions: Vec<Permission>| Role {
        name: name.into(),
        permissions,
    };
    vec![
        role("viewer", viewer),
        role("reader", reader),
        role("operator", operator),
        role("admin", Permission::ALL.to_vec()),
    ]
}

/// Where a binding applies: clusters (empty: all), and topic / consumer-group name patterns
/// (`None`: all).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub clusters: Vec<String>,
    pub topics: Option<Regex>,
    pub groups: Option<Regex>,
}

impl PartialEq for Scope {
    fn eq(&self, o: &Self) -> bool {
        self.clusters == o.clusters
            && self.topics.as_ref().map(Regex::as_str) == o.topics.as_ref().map(Regex::as_str)
            && self.groups.as_ref().map(Regex::as_str) == o.groups.as_ref().map(Regex::as_str)
    }
}

impl Scope {
    pub fn everywhere() -> Scope {
        Scope::default()
    }

    fn by_name(&self) -> bool {
        self.topics.is_some() || self.groups.is_some()
    }

    /// Whether this scope covers `r` for `perm`. A scope with name patterns covers topics
    /// and groups of the kinds it names (a topics pattern grants no group, and the reverse);
    /// at cluster level it grants viewing only. A resource of no cluster (tokens, rules)
    /// needs an unscoped binding.
    fn covers(&self, r: &Resource<'_>, perm: Permission) -> bool {
        let cluster_ok = match r.cluster {
            Some(c) => self.clusters.is_empty() || self.clusters.iter().any(|x| x == c),
            None => self.clusters.is_empty() && !self.by_name(),
        };
        let names_ok = match (r.topic, r.group) {
            (Some(t), _) => match &self.topics {
                Some(re) => re.is_match(t),
                None => self.groups.is_none(),
            },
            (None, Some(g)) => match &self.groups {
                Some(re) => re.is_match(g),
                None => self.topics.is_none(),
            },
            (None, None) => perm == Permission::View || !self.by_name(),
        };
        cluster_ok && names_ok
    }

    /// A short text for the UI and the audit: "cluster prod, topics ^payments\.".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.clusters.is_empty() {
            parts.push(format!("clusters {}", self.clusters.join(", ")));
        }
        if let Some(t) = &self.topics {
            parts.push(format!("topics /{}/", t.as_str()));
        }
        if let Some(g) = &self.groups {
            parts.push(format!("groups /{}/", g.as_str()));
        }
        if parts.is_empty() {
            "everywhere".into()
        } else {
            parts.join(", ")
        }
    }
}

/// A role where it applies.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub role: Role,
    pub scope: Scope,
}

/// How the principal was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A person signed in (OpenID Connect or a local user) with a session cookie.
    User,
    /// An API token (or the bootstrap `server.admin_token`).
    Token,
    /// A user named by a trusted proxy's headers.
    Proxy,
    /// Nobody signed in.
    Anonymous,
    /// A signed embed link.
    Embed,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Token => "token",
            PrincipalKind::Proxy => "proxy",
            PrincipalKind::Anonymous => "anonymous",
            PrincipalKind::Embed => "embed",
        }
    }
}

/// Who a request is from, resolved once by the authentication layer.
#[derive(Debug, Clone)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// Stable identity: the OIDC subject, the user or token name.
    pub id: String,
    /// For people: the name shown and written to the audit log.
    pub display: String,
    pub bindings: Vec<Binding>,
    pub source_addr: Option<IpAddr>,
    /// The session this request came with (cookie-authenticated requests need a CSRF token).
    pub session: Option<SessionRef>,
}

/// What a cookie-authenticated request carries.
#[derive(Debug, Clone)]
pub struct SessionRef {
    pub id_hash: String,
    pub csrf: String,
}

impl Principal {
    pub fn anonymous(bindings: Vec<Binding>, source_addr: Option<IpAddr>) -> Principal {
        Principal {
            kind: PrincipalKind::Anonymous,
            id: "anonymous".into(),
            display: "anonymous".into(),
            bindings,
            source_addr,
            session: None,
        }
    }

    /// The actor as the audit log writes it: `alice (user)`.
    pub fn actor(&self) -> String {
        format!("{} ({})", self.display, self.kind.as_str())
    }

    /// The roles, for the UI: `operator (topics /^payments\./)`.
    pub fn role_names(&self) -> Vec<String> {
        self.bindings
            .iter()
            .map(|b| {
                let scope = b.scope.describe();
                if scope == "everywhere" {
                    b.role.name.clone()
                } else {
                    format!("{} ({scope})", b.role.name)
                }
            })
            .collect()
    }
}

/// What a request concerns.
#[derive(Debug, Clone, Copy, Default)]
pub struct Resource<'a> {
    pub cluster: Option<&'a str>,
    pub topic: Option<&'a str>,
    pub group: Option<&'a str>,
    /// The cluster is configured `read_only`.
    pub read_only: bool,
}

impl<'a> Resource<'a> {
    pub fn global() -> Resource<'static> {
        Resource::default()
    }
    pub fn cluster(name: &'a str, read_only: bool) -> Resource<'a> {
        Resource {
            cluster: Some(name),
            read_only,
            ..Default::default()
        }
    }
    pub fn topic(mut self, t: &'a str) -> Self {
        self.topic = Some(t);
        self
    }
    pub fn group(mut self, g: &'a str) -> Self {
        self.group = Some(g);
        self
    }
}

/// Why a request was refused: the sentence for the answer and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    pub permission: Permission,
    pub reason: String,
    /// Nobody is signed in: 401 rather than 403.
    pub unauthenticated: bool,
}

/// Whether `p` has `perm` on every topic and group of `cluster` (a binding without name
/// patterns): what a view of a whole cluster's names (all its alerts, all groups of a
/// topic) handed to someone else may show.
pub fn sees_all(p: &Principal, perm: Permission, cluster: &str) -> bool {
    p.bindings.iter().any(|b| {
        b.role.permissions.contains(&perm)
            && !b.scope.by_name()
            && (b.scope.clusters.is_empty() || b.scope.clusters.iter().any(|c| c == cluster))
    })
}

/// The one authorisation decision.
pub fn allow(p: &Principal, permission: Permission, r: &Resource<'_>) -> Result<(), Denied> {
    let deny = |reason: String| Denied {
        permission,
        reason,
        unauthenticated: p.kind == PrincipalKind::Anonymous && p.bindings.is_empty(),
    };
    if permission.changes_kafka() && r.read_only {
        return Err(deny(format!(
            "cluster '{}' is read-only: no change is made to it, whatever the role",
            r.cluster.unwrap_or_default()
        )));
    }
    let granted = p
        .bindings
        .iter()
        .any(|b| b.role.permissions.contains(&permission) && b.scope.covers(r, permission));
    if granted {
        return Ok(());
    }
    if p.kind == PrincipalKind::Anonymous && p.bindings.is_empty() {
        return Err(deny("sign in first".into()));
    }
    let mut what = String::new();
    if let Some(t) = r.topic {
        what = format!(" on topic '{t}'");
    } else if let Some(g) = r.group {
        what = format!(" on group '{g}'");
    }
    if let Some(c) = r.cluster {
        what.push_str(&format!(" in cluster '{c}'"));
    }
    Err(deny(format!(
        "{} lacks the permission {}{what}",
        p.actor(),
        permission.as_str()
    )))
}

/// Every permission the principal has somewhere in `cluster` (for the UI to show or hide
/// actions; the server decides per request).
pub fn permissions_in(p: &Principal, cluster: Option<&str>, read_only: bool) -> Vec<Permission> {
    let mut out: BTreeMap<Permission, ()> = BTreeMap::new();
    for b in &p.bindings {
        let in_cluster = match cluster {
            Some(c) => b.scope.clusters.is_empty() || b.scope.clusters.iter().any(|x| x == c),
            None => true,
        };
        if in_cluster {
            for perm in &b.role.permissions {
                if !(read_only && perm.changes_kafka()) {
                    out.insert(*perm, ());
                }
            }
        }
    }
    out.into_keys().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str) -> Role {
        builtin_roles()
            .into_iter()
            .find(|r| r.name == name)
            .unwrap()
    }

    fn user(bindings: Vec<Binding>) -> Principal {
        Principal {
            kind: PrincipalKind::User,
            id: "u".into(),
            display: "ann".into(),
            bindings,
            source_addr: None,
            session: None,
        }
    }

    fn everywhere(r: &str) -> Binding {
        Binding {
            role: role(r),
            scope: Scope::everywhere(),
        }
    }

    #[test]
    fn builtin_roles_nest() {
        use Permission::*;
        let has = |r: &str, p| role(r).permissions.contains(&p);
        assert!(has("viewer", View) && !has("viewer", MessagesRead));
        assert!(has("reader", MessagesExport) && !has("reader", MessagesProduce));
        assert!(has("operator", GroupsManage) && has("operator", AlertsManage));
        assert!(!has("operator", ConfigsManage) && !has("operator", Admin));
        assert!(Permission::ALL.iter().all(|p| has("admin", *p)));
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn a_table_of_principals_and_requests() {
        use Permission::*;
        let prod = Resource::cluster("prod", false);
        let frozen = Resource::cluster("legacy", true);
        let payments_operator = Binding {
            role: role("operator"),
            scope: Scope {
                clusters: vec!["prod".into()],
                topics: Some(Regex::new(r"^payments\.").unwrap()),
                groups: Some(Regex::new(r"^payments-").unwrap()),
            },
        };
        let cases: Vec<(Principal, Permission, Resource, bool)> = vec![
            (user(vec![everywhere("viewer")]), View, prod, true),
            (
                user(vec![everywhere("viewer")]),
                MessagesRead,
                prod.topic("a"),
                false,
            ),
            (
                user(vec![everywhere("reader")]),
                MessagesRead,
                prod.topic("a"),
                true,
            ),
            (
                user(vec![everywhere("reader")]),
                MessagesProduce,
                prod.topic("a"),
                false,
            ),
            (
                user(vec![everywhere("operator")]),
                TopicsManage,
                prod.topic("a"),
                true,
            ),
            (
                user(vec![everywhere("operator")]),
                Admin,
                Resource::global(),
                false,
            ),
            (
                user(vec![everywhere("admin")]),
                Admin,
                Resource::global(),
                true,
            ),
            // read-only clusters refuse every change, even to an admin …
            (
                user(vec![everywhere("admin")]),
                TopicsManage,
                frozen.topic("a"),
                false,
            ),
            (
                user(vec![everywhere("admin")]),
                MessagesProduce,
                frozen.topic("a"),
                false,
            ),
            // … but not views or alert handling.
            (user(vec![everywhere("admin")]), AlertsManage, frozen, true),
            // scoped: their topics and groups in their cluster only.
            (
                user(vec![payments_operator.clone()]),
                TopicsManage,
                prod.topic("payments.in"),
                true,
            ),
            (
                user(vec![payments_operator.clone()]),
                TopicsManage,
                prod.topic("orders"),
                false,
            ),
            (
                user(vec![payments_operator.clone()]),
                GroupsManage,
                prod.group("payments-svc"),
                true,
            ),
            (
                user(vec![payments_operator.clone()]),
                GroupsManage,
                prod.group("billing"),
                false,
            ),
            (
                user(vec![payments_operator.clone()]),
                TopicsManage,
                Resource::cluster("dev", false).topic("payments.in"),
                false,
            ),
            // a scoped binding never grants cluster-less resources …
            (
                user(vec![payments_operator.clone()]),
                AlertsManage,
                Resource::global(),
                false,
            ),
            // … nor cluster-wide changes, though it views the cluster.
            (
                user(vec![payments_operator.clone()]),
                AlertsManage,
                prod,
                false,
            ),
            (user(vec![payments_operator.clone()]), View, prod, true),
            (
                user(vec![payments_operator.clone()]),
                View,
                prod.topic("orders"),
                false,
            ),
            // a topics pattern alone grants no group.
            (
                user(vec![Binding {
                    role: role("operator"),
                    scope: Scope {
                        topics: Some(Regex::new("^payments").unwrap()),
                        ..Default::default()
                    },
                }]),
                GroupsManage,
                prod.group("payments-svc"),
                false,
            ),
            (user(vec![]), View, prod, false),
            (Principal::anonymous(vec![], None), View, prod, false),
            (
                Principal::anonymous(vec![everywhere("admin")], None),
                TopicsManage,
                prod,
                true,
            ),
        ];
        for (i, (p, perm, r, want)) in cases.iter().enumerate() {
            assert_eq!(
                allow(p, *perm, r).is_ok(),
                *want,
                "case {i}: {perm:?} {r:?} {:?}",
                p.role_names()
            );
        }
    }

    #[test]
    fn refusals_say_what_was_missing_and_where() {
        let p = user(vec![everywhere("viewer")]);
        let e = allow(
            &p,
            Permission::MessagesRead,
            &Resource::cluster("prod", false).topic("orders"),
        )
        .unwrap_err();
        assert_eq!(
            e.reason,
            "ann (user) lacks the permission messages.read on topic 'orders' in cluster 'prod'"
        );
        assert!(!e.unauthenticated);
        let e = allow(
            &p,
            Permission::TopicsManage,
            &Resource::cluster("legacy", true),
        )
        .unwrap_err();
        assert!(e.reason.contains("read-only"), "{}", e.reason);
        let e = allow(
            &Principal::anonymous(vec![], None),
            Permission::View,
            &Resource::global(),
        )
        .unwrap_err();
        assert!(e.unauthenticated);
    }

    #[test]
    fn permissions_in_a_cluster_for_the_ui() {
        let p = user(vec![
            everywhere("viewer"),
            Binding {
                role: role("operator"),
                scope: Scope {
                    clusters: vec!["prod".into()],
                    ..Default::default()
                },
            },
        ]);
        let prod = permissions_in(&p, Some("prod"), false);
        assert!(prod.contains(&Permission::TopicsManage));
        assert_eq!(
            permissions_in(&p, Some("dev"), false),
            vec![Permission::View]
        );
        let frozen = permissions_in(&p, Some("prod"), true);
        assert!(!frozen.contains(&Permission::TopicsManage));
        assert!(frozen.contains(&Permission::AlertsManage));
        assert_eq!(p.role_names(), vec!["viewer", "operator (clusters prod)"]);
    }
}
