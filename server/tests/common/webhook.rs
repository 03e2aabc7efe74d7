//! A webhook receiver on loopback for alert tests: records what it gets, and can fail its
//! first requests.

use std::sync::{Arc, Mutex};

use serde_json::Value;

/// What a receiver got: (path, idempotency-key header, authorization header, body).
pub type Got = Arc<Mutex<Vec<(String, String, String, Value)>>>;

/// A webhook receiver on 127.0.0.1 that answers 500 to its first `fail_first` requests.
pub async fn receiver(fail_first: usize) -> (String, Got) {
    let (url, got, _) = receiver_with(fail_first).await;
    (url, got)
}

/// The same, with the failure budget shared (set it to 0 to bring the receiver "back").
pub async fn receiver_with(fail_first: usize) -> (String, Got, Arc<Mutex<usize>>) {
    let got: Got = Arc::default();
    let failures = Arc::new(Mutex::new(fail_first));
    let budget = failures.clone();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/{kind}",
        axum::routing::post(
            move |axum::extract::Path(kind): axum::extract::Path<String>,
                  headers: axum::http::HeaderMap,
                  body: String| {
                let g = g.clone();
                let failures = failures.clone();
                async move {
                    {
                        let mut f = failures.lock().unwrap();
                        if *f > 0 {
                            *f -= 1;
                            return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                        }
                    }
                    let h = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string()
                    };
                    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    g.lock()
                        .unwrap()
                        .push((kind, h("idempotency-key"), h("authorization"), v));
                    axum::http::StatusCode::OK
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}"), got, budget)
}
