//! Kafscope: a Kafka monitoring console. `main` parses the configuration and calls
//! [`launch`]; tests build an [`App`] themselves, bind `127.0.0.1:0` and drive collectors
//! with [`App::poll_now`] instead of sleeping.

pub mod alerts;
pub mod collect;
pub mod config;
pub mod embed;
#[doc(hidden)]
pub mod fuzz_targets;
pub mod health;
pub mod http;
pub mod kafka;
pub mod lag;
pub mod manage;
pub mod messages;
pub mod metrics;
pub mod store;
pub mod traffic;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::broadcast;

use crate::collect::{Collector, CollectorHandle};
use crate::config::Config;
use crate::http::{AppState, WebAssets};
use crate::kafka::ClusterClient;
use crate::store::Store;

/// A running console: store open, one collector per cluster.
pub struct App {
    pub state: AppState,
    collectors: Vec<CollectorHandle>,
    alerting: alerts::Alerting,
    maintenance: tokio::task::JoinHandle<()>,
    base_path: String,
    web: Option<WebAssets>,
}

impl App {
    /// Open the store, create the Kafka clients and start the collectors.
    pub async fn start(config: &Config) -> anyhow::Result<App> {
        let store = Store::open(&config.store.url).await.map_err(|e| match e {
            // Already a whole sentence naming the store.
            store::StoreError::Unusable(why) => anyhow::anyhow!(why),
            other => {
                anyhow::Error::new(other).context(format!("opening store {}", config.store.url))
            }
        })?;
        let (events, _) = broadcast::channel(256);
        let mut clusters = Vec::new();
        let mut clients = Vec::new();
        let mut collectors = Vec::new();
        let mut inspectors = std::collections::BTreeMap::new();
        let mut admins = std::collections::BTreeMap::new();
        let mut pollers = std::collections::BTreeMap::new();
        match store.interrupt_plans().await {
            Ok(0) => {}
            Ok(n) => tracing::warn!("{n} plan(s) were being executed when the console stopped: marked interrupted; check the audit log and the cluster"),
            Err(e) => tracing::warn!(error = %e, "cannot mark interrupted plans"),
        }
        for c in &config.clusters {
            let client = ClusterClient::connect(c)
                .with_context(|| format!("cluster '{}': bad client configuration", c.name))?;
            let (tx, rx) = collect::channel(c);
            clusters.push((c.name.clone(), rx));
            clients.push((c.name.clone(), client.clone()));
            inspectors.insert(
                c.name.clone(),
                Arc::new(messages::Inspector::new(c.clone(), client.clone())),
            );
            admins.insert(
                c.name.clone(),
                kafka::admin::Admin::new(c, client.requests.clone()),
            );
            let collector = Collector::new(c.clone(), client, store.clone(), tx, events.clone());
            let handle = collector.start();
            pollers.insert(c.name.clone(), handle.poller());
            collectors.push(handle);
        }
        let alerting =
            alerts::Alerting::start(config.alerts.clone(), store.clone(), clusters.clone()).await;
        let maintenance = tokio::spawn(maintain_store(store.clone(), config.store.retention));
        if config.auth.explicitly_open {
            tracing::warn!(
                "auth.mode = \"none\": the console runs without sign-in on {}",
                config.server.listen
            );
        }
        let web = match http::assets::find_web_dir(config.server.web_dir.as_deref()) {
            Some(dir) => match WebAssets::load(&dir, &config.server.base_path) {
                Ok(w) => Some(w),
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), error = %e, "web UI not loaded");
                    None
                }
            },
            None => {
                tracing::warn!("web UI not found next to the executable; serving the API only");
                None
            }
        };
        let stored_key = store
            .server_secret("embed_key", collect::now_ms(), http::auth::random_secret)
            .await
            .context("reading the embed-link key from the store")?;
        let embed = Arc::new(embed::Embedding::new(
            config.server.embed.clone(),
            stored_key,
        ));
        Ok(App {
            state: AppState {
                embed,
                connection_tests: Default::default(),
                admins: Arc::new(admins),
                pollers: Arc::new(pollers),
                clusters: Arc::new(clusters),
                clients: Arc::new(clients),
                store,
                events,
                alerts: alerting.view.clone(),
                alerts_config: alerting.config.clone(),
                alert_controls: alerting.controls.clone(),
                alert_rules: alerting.rules.clone(),
                alert_wake: alerting.wake.clone(),
                auth: Arc::new(http::auth::Authenticator::new(
                    config.auth.clone(),
                    config.server.admin_token.clone(),
                    &config.server.base_path,
                )),
                inspectors: Arc::new(inspectors),
            },
            collectors,
            alerting,
            maintenance,
            base_path: config.server.base_path.clone(),
            web,
        })
    }

    /// The HTTP application.
    pub fn router(&self) -> axum::Router {
        http::router(self.state.clone(), &self.base_path, self.web.clone())
    }

    /// Run one poll of every cluster now and wait for them.
    pub async fn poll_now(&self) {
        futures::future::join_all(self.collectors.iter().map(|c| c.poll_now())).await;
    }

    /// Stop the collectors and close the store.
    pub async fn stop(self) {
        self.maintenance.abort();
        futures::future::join_all(self.collectors.into_iter().map(|c| c.stop())).await;
        self.alerting.stop().await;
        self.state.store.close().await;
    }
}

/// Roll up and expire history once a minute, in bounded steps (a step's transaction is
/// short, so collectors writing their cycles are never held up for long).
async fn maintain_store(store: Store, retention: store::Retention) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        loop {
            match store.maintain(collect::now_ms(), retention).await {
                Ok(r) if r.more => tokio::task::yield_now().await,
                Ok(_) => {
                    http::auth::prune(&store).await;
                    break;
                }
                Err(e) => {
                    tracing::error!(error = %e, "history maintenance failed");
                    break;
                }
            }
        }
    }
}

/// Serve until `shutdown` resolves, then stop cleanly.
pub async fn launch(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = App::start(&config).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, base_path = %config.server.base_path, clusters = config.clusters.len(), "kafscope listening");
    axum::serve(
        listener,
        app.router()
            .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("serving HTTP")?;
    app.stop().await;
    Ok(())
}
