//! Identity and access against a real console and a real tansu broker: every mutating route
//! and every read of message contents, sent as each kind of principal, with the answer each
//! must get — decided on the server, whatever a UI would show.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::{Tansu, TestApp};
use kafscope::http::auth::config::FileAuth;
use kafscope::http::auth::hash_password;
use kafscope::traffic;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A request: method, path, body.
type Request = (Method, String, Option<Value>);
/// What is done, the request, and the status each principal must get.
type Case<'a> = (&'a str, Request, [u16; 10]);

/// How a request is authenticated.
#[derive(Clone, Debug)]
enum Who {
    Nobody,
    /// A session cookie and its CSRF token.
    Session(String, String),
    Token(String),
    /// Identity headers sent from `from`.
    Proxy {
        from: IpAddr,
        user: String,
        groups: String,
    },
}

struct Console {
    t: TestApp,
    base: String,
}

impl Console {
    fn client(from: Option<IpAddr>) -> reqwest::Client {
        let mut b = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        if let Some(a) = from {
            b = b.local_address(a);
        }
        b.build().unwrap()
    }

    async fn send(
        &self,
        who: &Who,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (client, mut req);
        match who {
            Who::Proxy { from, user, groups } => {
                client = Self::client(Some(*from));
                req = client
                    .request(method.clone(), format!("{}{path}", self.base))
                    .header("X-Forwarded-User", user)
                    .header("X-Forwarded-Groups", groups);
            }
            _ => {
                client = Self::client(None);
                req = client.request(method.clone(), format!("{}{path}", self.base));
            }
        }
        match who {
            Who::Session(cookie, csrf) => {
                req = req
                    .header("Cookie", format!("kafscope_session={cookie}"))
                    .header("X-CSRF-Token", csrf)
                    .header("Origin", &self.base);
            }
            Who::Token(t) => req = req.bearer_auth(t),
            _ => {}
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Sign in a local user: the session cookie and its CSRF token.
    async fn login(&self, user: &str, password: &str) -> Result<Who, StatusCode> {
        let r = Self::client(None)
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"username": user, "password": password}))
            .send()
            .await
            .unwrap();
        if r.status() != StatusCode::NO_CONTENT {
            return Err(r.status());
        }
        let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{set}"
        );
        let cookie = set
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("kafscope_session=")
            .to_string();
        let me: Value = Self::client(None)
            .get(format!("{}/api/v1/me", self.base))
            .header("Cookie", format!("kafscope_session={cookie}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["authenticated"], true, "{me}");
        Ok(Who::Session(
            cookie,
            me["csrf_token"].as_str().unwrap().to_string(),
        ))
    }
}

async fn start() -> (Tansu, Console) {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    traffic::create_topics(&bs, &[("orders", 1), ("payments.in", 1)])
        .await
        .unwrap();
    traffic::produce_n(&bs, "orders", 0, 3).unwrap();
    traffic::produce_n(&bs, "payments.in", 0, 3).unwrap();
    let h = |pw: &str| hash_password(pw).unwrap();
    let auth = format!(
        r#"
        anonymous_role = ""
        login_attempts = 3
        [proxy]
        trusted = ["127.0.0.2/32"]
        [[users]]
        name = "alice"
        password_hash = "{}"
        roles = ["admin"]
        [[users]]
        name = "rita"
        password_hash = "{}"
        roles = ["reader"]
        [[users]]
        name = "vic"
        password_hash = "{}"
        roles = ["viewer"]
        [[users]]
        name = "olivia"
        password_hash = "{}"
        groups = ["payments-team"]
        [[bindings]]
        role = "operator"
        groups = ["payments-team"]
        clusters = ["test"]
        topics = '^payments\.'
        consumer_groups = '^payments-'
        "#,
        h("alice-pw"),
        h("rita-pw"),
        h("vic-pw"),
        h("olivia-pw")
    );
    let file: FileAuth = toml::from_str(&auth).unwrap();
    let t = TestApp::start_configured(
        &bs,
        "1s",
        |_| {},
        move |c| {
            c.server.admin_token = Some(kafscope::config::Secret("boot-token".into()));
            c.auth = file.build("test", c.server.listen).unwrap();
        },
    )
    .await;
    t.app.poll_now().await;
    let base = format!("http://{}", t.addr);
    (tansu, Console { t, base })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_and_every_message_read_is_decided_on_the_server() {
    let (_tansu, c) = start().await;
    let admin = Who::Token("boot-token".into());
    // Tokens made by the admin: an operator, one that expires at once, one revoked.
    let token = |name: &str, role: &str, expires: &str| {
        let c = &c;
        let admin = admin.clone();
        let (name, role, expires) = (name.to_string(), role.to_string(), expires.to_string());
        async move {
            let (s, v) = c
                .send(
                    &admin,
                    Method::POST,
                    "/api/v1/tokens",
                    Some(json!({"name": name, "role": role, "expires_in": expires})),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            assert!(v["token"].as_str().unwrap().starts_with("ksc_"));
            (
                v["token"].as_str().unwrap().to_string(),
                v["item"]["id"].as_i64().unwrap(),
            )
        }
    };
    let (operator, _) = token("ci-operator", "operator", "30d").await;
    let (expired, _) = token("short", "admin", "1s").await;
    let (revoked, revoked_id) = token("leaked", "admin", "30d").await;
    let (s, _) = c
        .send(
            &admin,
            Method::DELETE,
            &format!("/api/v1/tokens/{revoked_id}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let viewer = c.login("vic", "vic-pw").await.unwrap();
    let viewer_again = viewer.clone();
    let reader = c.login("rita", "rita-pw").await.unwrap();
    let alice = c.login("alice", "alice-pw").await.unwrap();
    let scoped = c.login("olivia", "olivia-pw").await.unwrap();
    let scoped_again = scoped.clone();
    let loopback2: IpAddr = "127.0.0.2".parse().unwrap();
    let proxied = Who::Proxy {
        from: loopback2,
        user: "pat@example.test".into(),
        groups: "staff, payments-team".into(),
    };
    let forged = Who::Proxy {
        from: "127.0.0.1".parse().unwrap(),
        user: "alice".into(),
        groups: "payments-team".into(),
    };

    let principals: Vec<(&str, Who)> = vec![
        ("anonymous", Who::Nobody),
        ("viewer", viewer),
        ("reader", reader),
        ("operator token", Who::Token(operator)),
        ("admin session", alice),
        ("scoped operator", scoped),
        ("trusted proxy (payments-team)", proxied),
        ("forged proxy headers", forged),
        ("expired token", Who::Token(expired)),
        ("revoked token", Who::Token(revoked)),
    ];
    let produce = |topic: &str| {
        (
            Method::POST,
            format!("/api/v1/clusters/test/topics/{topic}/messages"),
            Some(json!({"value": "hello"})),
        )
    };
    let mut n = 0;
    let mut rule = move || {
        n += 1;
        Some(json!({"id": format!("r{n}"), "kind": "group_lag", "cmp": ">", "threshold": 5}))
    };
    // 200/201/204 allowed, 401 nobody (or a bad token), 403 not allowed.
    const OK: u16 = 200;
    let table: Vec<Case> = vec![
        //                                            anon vic  rita op   alice scop proxy forge exp  rev
        (
            "produce to orders",
            produce("orders"),
            [401, 403, 403, OK, OK, 403, 403, 401, 401, 401],
        ),
        (
            "produce to payments.in",
            produce("payments.in"),
            [401, 403, 403, OK, OK, OK, OK, 401, 401, 401],
        ),
        (
            "read orders",
            (
                Method::GET,
                "/api/v1/clusters/test/topics/orders/messages?from=earliest".into(),
                None,
            ),
            [401, 403, OK, OK, OK, 403, 403, 401, 401, 401],
        ),
        (
            "read payments.in",
            (
                Method::GET,
                "/api/v1/clusters/test/topics/payments.in/messages?from=earliest".into(),
                None,
            ),
            [401, 403, OK, OK, OK, OK, OK, 401, 401, 401],
        ),
        (
            "export orders",
            (
                Method::GET,
                "/api/v1/clusters/test/topics/orders/messages/export?from=earliest".into(),
                None,
            ),
            [401, 403, OK, OK, OK, 403, 403, 401, 401, 401],
        ),
        (
            "silence a cluster",
            (
                Method::POST,
                "/api/v1/alerts/silences".into(),
                Some(json!({"matchers": {"cluster": "test"}, "duration": "1h", "comment": "x"})),
            ),
            [401, 403, 403, OK, OK, 403, 403, 401, 401, 401],
        ),
        (
            "silence a payments group",
            (
                Method::POST,
                "/api/v1/alerts/silences".into(),
                Some(
                    json!({"matchers": {"cluster": "test", "group": "payments-svc"}, "duration": "1h", "comment": "x"}),
                ),
            ),
            [401, 403, 403, OK, OK, OK, OK, 401, 401, 401],
        ),
        (
            "save a rule",
            (Method::POST, "/api/v1/alerts/rules".into(), None),
            [401, 403, 403, OK, OK, 403, 403, 401, 401, 401],
        ),
        (
            "create a token",
            (Method::POST, "/api/v1/tokens".into(), None),
            [401, 403, 403, 403, OK, 403, 403, 401, 401, 401],
        ),
        (
            "list groups (view)",
            (
                Method::GET,
                "/api/v1/clusters/test/consumer-groups".into(),
                None,
            ),
            [401, OK, OK, OK, OK, OK, OK, 401, 401, 401],
        ),
    ];
    let mut token_n = 0;
    for (what, (method, path, body), want) in table {
        for ((name, who), expect) in principals.iter().zip(want) {
            let body = match what {
                "save a rule" => rule(),
                "create a token" => {
                    token_n += 1;
                    Some(
                        json!({"name": format!("t{token_n}"), "role": "viewer", "expires_in": "1d"}),
                    )
                }
                _ => body.clone(),
            };
            let (s, v) = c.send(who, method.clone(), &path, body).await;
            let got = s.as_u16();
            let ok = if expect == OK {
                got < 300
            } else {
                got == expect
            };
            assert!(ok, "{what} as {name}: {got}, expected {expect}: {v}");
            if got == 403 {
                let m = v["error"]["message"].as_str().unwrap_or_default();
                assert!(m.contains("lacks the permission"), "{what} as {name}: {m}");
            }
        }
    }

    // The audit names the authenticated actor of each change, and the refusals.
    let (_, audit) = c
        .send(
            &admin,
            Method::GET,
            "/api/v1/audit?action=message.produce&limit=1000",
            None,
        )
        .await;
    let rows = audit["items"].as_array().unwrap();
    let actor_of = |outcome: &str, actor: &str| {
        rows.iter()
            .any(|r| r["outcome"] == outcome && r["actor"] == actor)
    };
    assert!(actor_of("done", "ci-operator"), "{audit}");
    assert!(actor_of("done", "alice"), "{audit}");
    assert!(actor_of("done", "pat@example.test"), "{audit}");
    assert!(actor_of("refused", "vic"), "{audit}");
    assert!(
        !rows
            .iter()
            .any(|r| r["actor"] == "alice" && r["actor_kind"] == "proxy"),
        "forged headers never become alice: {audit}"
    );
    let refused = rows
        .iter()
        .find(|r| r["actor"] == "olivia" && r["outcome"] == "refused")
        .unwrap();
    assert_eq!(refused["detail"]["missing_permission"], "messages.produce");
    assert_eq!(refused["cluster"], "test");
    // Message rows (their detail shows the record's key) only to who may read that topic.
    assert!(
        rows.iter().any(|r| r["target"] != "test/payments.in"),
        "{audit}"
    );
    let (_, mine) = c
        .send(
            &scoped_again,
            Method::GET,
            "/api/v1/audit?action=message.",
            None,
        )
        .await;
    let mine = mine["items"].as_array().unwrap();
    assert!(!mine.is_empty());
    assert!(
        mine.iter().all(|r| r["target"] == "test/payments.in"),
        "a scoped principal sees message rows of its topics only: {mine:?}"
    );
    let (_, vics) = c
        .send(
            &viewer_again,
            Method::GET,
            "/api/v1/audit?action=message.",
            None,
        )
        .await;
    assert_eq!(
        vics["total"], 0,
        "a viewer cannot read messages, nor their audit rows: {vics}"
    );
    // Filters and export.
    let (_, only) = c
        .send(
            &admin,
            Method::GET,
            "/api/v1/audit?actor=olivia&outcome=refused",
            None,
        )
        .await;
    assert!(
        only["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["actor"] == "olivia" && r["outcome"] == "refused"),
        "{only}"
    );
    let (s, csv) = c
        .send(
            &admin,
            Method::GET,
            "/api/v1/audit/export?format=csv&actor=olivia",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        csv.as_str().unwrap().starts_with("id,at,actor,actor_kind"),
        "{csv}"
    );
    // Forged proxy headers were counted.
    let metrics = c.t.text("/metrics").await;
    let line = metrics
        .lines()
        .find(|l| l.starts_with("kafscope_auth_untrusted_proxy_headers_total"))
        .unwrap();
    assert_ne!(line.rsplit(' ').next(), Some("0"), "{line}");
    c.t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_at_logout_and_changes_need_the_sessions_csrf_token() {
    let (_tansu, c) = start().await;
    let Who::Session(cookie, csrf) = c.login("alice", "alice-pw").await.unwrap() else {
        unreachable!()
    };
    let url = format!("{}/api/v1/alerts/silences", c.base);
    let body = json!({"matchers": {"cluster": "test"}, "duration": "1h", "comment": "x"});
    let send = |csrf: Option<&str>, origin: &str| {
        let mut r = Console::client(None)
            .post(&url)
            .header("Cookie", format!("kafscope_session={cookie}"))
            .header("Origin", origin)
            .json(&body);
        if let Some(t) = csrf {
            r = r.header("X-CSRF-Token", t);
        }
        r.send()
    };
    let r = send(None, &c.base).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("X-CSRF-Token"));
    let r = send(Some(&csrf), "https://evil.example").await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("another site"));
    let r = send(Some(&csrf), &c.base).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    // /me says who and what.
    let who = Who::Session(cookie.clone(), csrf.clone());
    let (_, me) = c.send(&who, Method::GET, "/api/v1/me", None).await;
    assert_eq!(me["display"], "alice");
    assert_eq!(me["kind"], "user");
    assert_eq!(me["roles"][0], "admin");
    assert!(me["cluster_permissions"]["test"]
        .as_array()
        .unwrap()
        .contains(&json!("topics.manage")));
    assert_eq!(me["auth"]["local_users"], true);

    // Logout ends the session at once, server-side.
    let (s, _) = c
        .send(&who, Method::POST, "/api/v1/auth/logout", None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, me) = c.send(&who, Method::GET, "/api/v1/me", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["authenticated"], false, "{me}");
    let (s, _) = c.send(&who, Method::GET, "/api/v1/clusters", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Wrong passwords: refused, then rate-limited; the right one is refused too meanwhile.
    for _ in 0..3 {
        assert_eq!(
            c.login("rita", "nope").await.unwrap_err(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        c.login("rita", "rita-pw").await.unwrap_err(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        c.login("nobody", "x").await.unwrap_err(),
        StatusCode::UNAUTHORIZED
    );
    let (_, audit) = c
        .send(
            &Who::Token("boot-token".into()),
            Method::GET,
            "/api/v1/audit?action=auth.login&outcome=refused",
            None,
        )
        .await;
    assert!(audit["total"].as_u64().unwrap() >= 3, "{audit}");

    c.t.app.stop().await;
}
