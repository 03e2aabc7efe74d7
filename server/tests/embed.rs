//! Embedding end to end (issue 14) against a real broker (tansu): signed links minted through
//! the API open exactly one widget or badge with real values and nothing else; an edited or
//! expired link gets the error page; frames, CORS and validators are what the configuration
//! says; a link survives a restart (its key is kept in the store).

mod common;

use std::time::Duration;

use common::{send, Tansu, TestApp};
use kafscope::traffic;
use reqwest::header;
use reqwest::Method;
use serde_json::{json, Value};

const ADMIN: &str = "s3cret";
const PORTAL: &str = "http://portal.test:8080";

fn portal_config(c: &mut kafscope::config::Config) {
    c.server.admin_token = Some(kafscope::config::Secret(ADMIN.into()));
    // Nobody is anything without a token, a session or a link.
    c.auth.anonymous = vec![];
    c.server.embed.frame_ancestors = vec![PORTAL.into()];
    c.server.embed.cors_origins = vec![PORTAL.into()];
}

async fn mint(t: &TestApp, body: Value) -> (u16, Value) {
    send(t, Method::POST, "/embed-links", Some(ADMIN), Some(body)).await
}

/// GET a path (from the root) as a browser in the portal would: status, headers, body.
async fn fetch(t: &TestApp, path: &str) -> (u16, header::HeaderMap, String) {
    let r = t
        .http
        .get(format!("http://{}{}", t.addr, path))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

fn url_of(link: &Value) -> String {
    link["url"].as_str().unwrap().to_string()
}

/// A link minted by the admin for `body`, opened: its headers and page (a 200).
async fn opened(t: &TestApp, body: Value) -> (header::HeaderMap, String) {
    let (s, l) = mint(t, body).await;
    assert_eq!(s, 201, "{l}");
    let (s, h, page) = fetch(t, &url_of(&l)).await;
    assert_eq!(s, 200, "{page}");
    (h, page)
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_links_open_one_widget_with_live_values_and_nothing_else() {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    traffic::create_topics(&bs, &[("orders", 2)]).await.unwrap();
    for p in 0..2 {
        traffic::produce_n(&bs, "orders", p, 30).unwrap();
    }
    traffic::commit(&bs, "billing", &[("orders", 0, 5), ("orders", 1, 5)]).unwrap();
    let t = TestApp::start_configured(&bs, "60s", |_| {}, portal_config).await;
    t.poll_until("/healthz", Duration::from_secs(30), |_| true)
        .await;
    let (_, g) = send(
        &t,
        Method::GET,
        "/clusters/test/consumer-groups/billing",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(g["lag"], 50, "{g:#}");
    t.app.poll_now().await;

    // Without a link, session or token: the error page, 401, its code for the parent.
    let (s, h, body) = fetch(&t, "/embed/group-lag?cluster=test&group=billing").await;
    assert_eq!(s, 401, "{body}");
    assert!(body.contains("data-error=\"unauthorized\""), "{body}");
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));

    // A link for the group's lag widget: real values, the theme asked for, framable by the
    // portal only.
    let (s, link) = mint(
        &t,
        json!({"widget": "group-lag", "cluster": "test", "group": "billing", "theme": "dark"}),
    )
    .await;
    assert_eq!(s, 201, "{link:#}");
    let url = url_of(&link);
    assert!(url.starts_with("/embed/group-lag?"), "{url}");
    let (s, h, body) = fetch(&t, &url).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("<h1>billing</h1>"), "{body}");
    assert!(body.contains("data-k=\"lag\">50<"), "{body}");
    assert!(body.contains("data-theme=\"dark\""), "{body}");
    assert!(body.contains("<svg class=\"chart\""), "{body}");
    assert!(
        body.contains(&format!("data-origins=\"{PORTAL}\"")),
        "{body}"
    );
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains(&format!("frame-ancestors 'self' {PORTAL}")),
        "{csp}"
    );
    assert!(h.get("x-frame-options").is_none(), "an allowlist needs CSP");
    // Polling the same widget: 304 while nothing changed.
    let etag = h["etag"].to_str().unwrap().to_string();
    let again = t
        .http
        .get(format!("http://{}{}", t.addr, url))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);

    // The link opens that view only: another group, another widget, an added parameter,
    // the API — none of them.
    for (path, code) in [
        (url.replace("group=billing", "group=payments"), 403),
        (url.replace("/embed/group-lag", "/embed/topic"), 403),
        (format!("{url}&range=7d"), 403),
    ] {
        let (s, _, body) = fetch(&t, &path).await;
        assert_eq!(s, code, "{path}: {body}");
        assert!(body.contains("data-error=\"bad_signature\""), "{body}");
        assert!(body.contains("ask the portal for a new one"), "{body}");
    }
    let query = url.split_once('?').unwrap().1;
    let (s, _, _) = fetch(
        &t,
        &format!("/api/v1/clusters/test/consumer-groups/billing?{query}"),
    )
    .await;
    assert!(s == 401 || s == 400, "a link's signature opens no API: {s}");

    // An expired link: the page says so.
    let (_, short) = mint(
        &t,
        json!({"widget": "health", "cluster": "test", "ttl": "1s"}),
    )
    .await;
    let short_url = url_of(&short);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (s, _, body) = fetch(&t, &short_url).await;
    assert_eq!(s, 403);
    assert!(body.contains("data-error=\"expired\""), "{body}");

    // The other widgets, each with its real values.
    let (_, body) = opened(
        &t,
        json!({"widget": "topic", "cluster": "test", "topic": "orders"}),
    )
    .await;
    assert!(
        body.contains("<h1>orders</h1>") && body.contains("billing"),
        "{body}"
    );
    assert!(body.contains("<dt>messages</dt><dd>60</dd>"), "{body}");
    let (_, body) = opened(
        &t,
        json!({"widget": "health", "cluster": "test", "compact": true}),
    )
    .await;
    assert!(
        body.contains("class=\"compact\"") && body.contains("cluster health"),
        "{body}"
    );
    let (_, body) = opened(
        &t,
        json!({"widget": "alerts", "cluster": "test", "group": "billing"}),
    )
    .await;
    assert!(body.contains("test · billing"), "{body}");

    // Badges: no access without a link; with one, SVG in the group's status colour.
    let (s, h, body) = fetch(&t, "/badge/group-status.svg?cluster=test&group=billing").await;
    assert_eq!(s, 401, "{body}");
    assert_eq!(h["content-type"], "image/svg+xml");
    assert!(body.contains("no access"), "{body}");
    let (h, body) = opened(
        &t,
        json!({"widget": "group-lag.svg", "cluster": "test", "group": "billing"}),
    )
    .await;
    assert_eq!(h["content-type"], "image/svg+xml");
    assert!(h["cache-control"].to_str().unwrap().contains("max-age=60"));
    assert!(
        body.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{body}"
    );
    assert!(body.contains("billing lag: 50"), "{body}");

    // Minting: only real widgets, bounded lifetimes, the widget's own parameters (who may
    // mint is checked in `a_link_never_shows_more_than_its_maker_may_see`).
    for (body, words) in [
        (
            json!({"widget": "shell", "cluster": "test"}),
            "widget must be one of",
        ),
        (
            json!({"widget": "health", "cluster": "test", "ttl": "30d"}),
            "must be from 1s to",
        ),
        (
            json!({"widget": "health", "cluster": "test", "group": "g"}),
            "takes no parameter group",
        ),
        (
            json!({"widget": "group-lag", "cluster": "test"}),
            "needs the parameter group",
        ),
        (
            json!({"widget": "group-lag", "cluster": "test", "group": "billing", "theme": "blue"}),
            "theme must be",
        ),
    ] {
        let (s, v) = mint(&t, body.clone()).await;
        assert_eq!(s, 400, "{body}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(words),
            "{v}"
        );
    }
    let (s, _) = mint(&t, json!({"widget": "health", "cluster": "nope"})).await;
    assert_eq!(s, 404);

    // Every link made is audited with its actor.
    let (_, audit) = send(
        &t,
        Method::GET,
        "/audit?action=embed_link",
        Some(ADMIN),
        None,
    )
    .await;
    let rows = audit["items"].as_array().unwrap();
    assert!(rows.len() >= 6, "{audit:#}");
    assert!(
        rows.iter().all(|r| r["actor"] == "admin_token"),
        "{audit:#}"
    );

    // CORS for the portal's origin only.
    for (origin, allowed) in [(PORTAL, true), ("http://evil.test", false)] {
        let r = t
            .http
            .request(
                Method::OPTIONS,
                format!("http://{}/api/v1/clusters", t.addr),
            )
            .header(header::ORIGIN, origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
            .await
            .unwrap();
        let acao = r.headers().get("access-control-allow-origin").cloned();
        assert_eq!(acao.is_some(), allowed, "{origin}: {:?}", r.headers());
        if allowed {
            assert_eq!(acao.unwrap(), origin);
        }
    }

    // Polling the API: 304 when nothing changed.
    let first = t
        .http
        .get(format!("http://{}/api/v1/clusters/test/topics", t.addr))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    let tag = first.headers()["etag"].to_str().unwrap().to_string();
    let second = t
        .http
        .get(format!("http://{}/api/v1/clusters/test/topics", t.addr))
        .bearer_auth(ADMIN)
        .header(header::IF_NONE_MATCH, &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(second.status().as_u16(), 304);

    // Events pass through buffering proxies.
    let ev = t
        .http
        .get(format!("http://{}/api/v1/events", t.addr))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(ev.headers()["x-accel-buffering"], "no");
    assert!(ev.headers().get("etag").is_none());
    drop(ev);

    // A real cross-origin GET from the portal: the origin echoed, credentials allowed, the
    // validator readable by its script.
    let r = t
        .http
        .get(format!("http://{}/api/v1/clusters", t.addr))
        .bearer_auth(ADMIN)
        .header(header::ORIGIN, PORTAL)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], PORTAL);
    assert_eq!(r.headers()["access-control-allow-credentials"], "true");
    assert!(r.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("etag"));

    // Badges read with a token may not be kept by shared caches; through a link they may.
    let r = t
        .http
        .get(format!(
            "http://{}/badge/group-status.svg?cluster=test&group=billing",
            t.addr
        ))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["cache-control"], "private, max-age=60");
    let (_, l) = mint(
        &t,
        json!({"widget": "group-status.svg", "cluster": "test", "group": "billing"}),
    )
    .await;
    let (_, h, _) = fetch(&t, &url_of(&l)).await;
    assert_eq!(h["cache-control"], "public, max-age=60");

    // The signing key is kept in the store: a link outlives a restart.
    let t = t.restart().await;
    t.app.poll_now().await;
    let (s, _, body) = fetch(&t, &url).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("<h1>billing</h1>"), "{body}");
}

/// A team token that sees only its own topic and group.
async fn team_token(t: &TestApp) -> String {
    let (s, v) = send(
        t,
        Method::POST,
        "/tokens",
        Some(ADMIN),
        Some(json!({"name": "orders-team", "role": "viewer", "topics": "^orders$", "consumer_groups": "^billing$", "expires_in": "1d"})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    v["token"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_never_shows_more_than_its_maker_may_see() {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    traffic::create_topics(&bs, &[("orders", 1), ("payroll", 1)])
        .await
        .unwrap();
    traffic::produce_n(&bs, "orders", 0, 10).unwrap();
    traffic::produce_n(&bs, "payroll", 0, 10).unwrap();
    traffic::commit(&bs, "billing", &[("orders", 0, 4)]).unwrap();
    traffic::commit(
        &bs,
        "secret-readers",
        &[("orders", 0, 2), ("payroll", 0, 1)],
    )
    .unwrap();
    // A group whose id is markup: shown as text everywhere.
    let evil = "x\"><script>alert(1)</script>";
    traffic::commit(&bs, evil, &[("orders", 0, 1)]).unwrap();
    let t = TestApp::start_configured(&bs, "60s", |_| {}, portal_config).await;
    t.app.poll_now().await;
    let team = team_token(&t).await;
    let mint_as = |token: &str, body: Value| {
        let token = token.to_string();
        let t = &t;
        async move { send(t, Method::POST, "/embed-links", Some(&token), Some(body)).await }
    };

    // Its own group and topic: yes. Another topic or group: no.
    let (s, l) = mint_as(
        &team,
        json!({"widget": "group-lag", "cluster": "test", "group": "billing"}),
    )
    .await;
    assert_eq!(s, 201, "{l}");
    for body in [
        json!({"widget": "topic", "cluster": "test", "topic": "payroll"}),
        json!({"widget": "group-lag", "cluster": "test", "group": "secret-readers"}),
    ] {
        let (s, v) = mint_as(&team, body.clone()).await;
        assert_eq!(s, 403, "{body}: {v}");
    }
    // Refusals are audited too, with the actor and the target.
    let (_, audit) = send(
        &t,
        Method::GET,
        "/audit?action=embed_link",
        Some(ADMIN),
        None,
    )
    .await;
    let refused: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "refused")
        .collect();
    for target in ["payroll", "secret-readers"] {
        assert!(
            refused
                .iter()
                .any(|r| r["target"] == target && r["actor"] != "admin_token"),
            "{audit:#}"
        );
    }
    // Every alert of the cluster would show other teams' topics and groups: refused.
    let (s, v) = mint_as(&team, json!({"widget": "alerts", "cluster": "test"})).await;
    assert_eq!(s, 403, "{v}");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("name a topic or a group"));
    // Its topic's widget lists no group it could not list itself.
    let (s, l) = mint_as(
        &team,
        json!({"widget": "topic", "cluster": "test", "topic": "orders"}),
    )
    .await;
    assert_eq!(s, 201, "{l}");
    let (s, _, body) = fetch(&t, &url_of(&l)).await;
    assert_eq!(s, 200, "{body}");
    assert!(!body.contains("secret-readers"), "{body}");
    // The admin's topic link lists them all, markup escaped.
    let (_, l) = mint(
        &t,
        json!({"widget": "topic", "cluster": "test", "topic": "orders"}),
    )
    .await;
    let (_, _, body) = fetch(&t, &url_of(&l)).await;
    assert!(
        body.contains("secret-readers") && body.contains("billing"),
        "{body}"
    );
    assert!(!body.contains("<script>alert"), "{body}");
    assert!(
        body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{body}"
    );
    // The markup group's own widget and badge.
    let (s, l) = mint(
        &t,
        json!({"widget": "group-lag", "cluster": "test", "group": evil}),
    )
    .await;
    assert_eq!(s, 201, "{l}");
    let (s, _, body) = fetch(&t, &url_of(&l)).await;
    assert_eq!(s, 200, "{body}");
    assert!(!body.contains("<script>alert"), "{body}");
    let (_, l) = mint(
        &t,
        json!({"widget": "group-status.svg", "cluster": "test", "group": evil}),
    )
    .await;
    let (_, _, svg) = fetch(&t, &url_of(&l)).await;
    assert!(
        !svg.contains("<script>") && svg.contains("&lt;script&gt;"),
        "{svg}"
    );
    // Nobody signed in makes no link, even where anonymous users may view.
    let (s, _) = send(
        &t,
        Method::POST,
        "/embed-links",
        None,
        Some(json!({"widget": "health", "cluster": "test"})),
    )
    .await;
    assert_eq!(s, 401);
    // The API's contract, like every route, for those who may view something.
    let (s, _) = send(&t, Method::GET, "/openapi.json", None, None).await;
    assert_eq!(s, 401);
    let (s, doc) = send(&t, Method::GET, "/openapi.json", Some(&team), None).await;
    assert_eq!(s, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    // Whether a cluster exists is not told to those who may not see it.
    let (s, _, body) = fetch(&t, "/embed/health?cluster=nope").await;
    assert_eq!(s, 401, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn links_carry_the_base_path_and_the_public_url() {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    let t = TestApp::start_configured(
        &bs,
        "60s",
        |cli| cli.base_path = Some("/kafka".into()),
        |c| {
            portal_config(c);
            c.auth.public_url = Some("https://console.example/kafka".into());
        },
    )
    .await;
    t.app.poll_now().await;
    let r = t
        .http
        .post(format!("http://{}/kafka/api/v1/embed-links", t.addr))
        .bearer_auth(ADMIN)
        .json(&json!({"widget": "health", "cluster": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let l: Value = r.json().await.unwrap();
    let url = url_of(&l);
    assert!(
        url.starts_with("https://console.example/kafka/embed/health?"),
        "{url}"
    );
    let local = url.replace("https://console.example", "");
    let (s, _, body) = fetch(&t, &local).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("cluster health"), "{body}");
    // Without the base path there is nothing there.
    let (s, _, _) = fetch(&t, &local.replace("/kafka/embed/", "/embed/")).await;
    assert_ne!(s, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn by_default_only_the_console_itself_may_frame_it() {
    let tansu = Tansu::start();
    let t = TestApp::start(&tansu.bootstrap(), "60s").await;
    let (s, h, _) = fetch(&t, "/healthz").await;
    assert_eq!(s, 200);
    assert_eq!(h["x-frame-options"], "SAMEORIGIN");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.ends_with("frame-ancestors 'self'"), "{csp}");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    // No CORS without an allowlist.
    let r = t
        .http
        .get(format!("http://{}/api/v1/clusters", t.addr))
        .header(header::ORIGIN, "http://portal.test")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // The loader and the widget script are served.
    for (path, ct) in [
        ("/embed/embed.js", "text/javascript"),
        ("/embed/widget.js", "text/javascript"),
        ("/embed/widget.css", "text/css"),
    ] {
        let (s, h, body) = fetch(&t, path).await;
        assert_eq!(s, 200, "{path}");
        assert_eq!(h["content-type"], ct);
        assert!(body.len() > 500, "{path}");
    }
}
