//! Confluent Schema Registry client (also Karapace, Redpanda, Apicurio's compatible API):
//! schemas by id, cached (an id's schema never changes); failures are remembered briefly so
//! a scan over a million records does not ask a million times.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::decode::{RegisteredSchema, SchemaKind, SchemaSource};
use crate::config::SchemaRegistryConfig;

const MAX_CACHED: usize = 10_000;
const RETRY_FAILED_AFTER: Duration = Duration::from_secs(30);
/// Unknown ids looked up per `RETRY_FAILED_AFTER`; beyond it (say, integer keys that start
/// with byte 0) new ids are not asked for until the period ends.
const MISS_BUDGET: u32 = 50;

pub struct Registry {
    cfg: SchemaRegistryConfig,
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
    cache: Mutex<HashMap<u32, Cached>>,
    /// (failed lookups, since) of the current period.
    misses: Mutex<(u32, Instant)>,
}

#[derive(Clone)]
enum Cached {
    Found(Arc<RegisteredSchema>),
    Failed(String, Instant),
}

#[derive(Deserialize)]
struct SchemaAnswer {
    schema: String,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct VersionAnswer {
    subject: String,
    version: i64,
}

impl Registry {
    /// Must be created inside the runtime; lookups run on blocking threads.
    pub fn new(cfg: SchemaRegistryConfig) -> Registry {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .build()
            .unwrap_or_default();
        Registry {
            cfg,
            http,
            runtime: tokio::runtime::Handle::current(),
            cache: Mutex::new(HashMap::new()),
            misses: Mutex::new((0, Instant::now())),
        }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        let url = format!("{}{path}", self.cfg.url.trim_end_matches('/'));
        let req = self
            .http
            .get(url)
            .header("accept", "application/vnd.schemaregistry.v1+json");
        match &self.cfg.username {
            Some(u) => req.basic_auth(u, self.cfg.password.as_ref().map(|p| p.0.clone())),
            None => req,
        }
    }

    async fn fetch(&self, id: u32) -> Result<RegisteredSchema, String> {
        let resp = self
            .get(&format!("/schemas/ids/{id}"))
            .send()
            .await
            .map_err(|e| {
                format!(
                    "registry unreachable: {}",
                    crate::metrics::scrape::describe(&e)
                )
            })?;
        let status = resp.status();
        if status.as_u16() == 404 {
            return Err("not found in the registry".into());
        }
        if !status.is_success() {
            return Err(format!("the registry answered HTTP {}", status.as_u16()));
        }
        let a: SchemaAnswer = resp
            .json()
            .await
            .map_err(|e| format!("the registry's answer is not a schema: {e}"))?;
        if !a.references.is_empty() {
            return Err("the schema uses references, which are not supported yet".into());
        }
        let kind = match a.schema_type.as_deref().unwrap_or("AVRO") {
            "AVRO" => SchemaKind::Avro(Box::new(
                apache_avro::Schema::parse_str(&a.schema)
                    .map_err(|e| format!("the registry's Avro schema does not parse: {e}"))?,
            )),
            "JSON" => SchemaKind::Json,
            "PROTOBUF" => SchemaKind::Protobuf(Box::new(super::protobuf::compile(&a.schema)?)),
            other => return Err(format!("unknown schema type {other}")),
        };
        // Which subject and version it is registered under (best effort: older registries
        // lack this endpoint).
        let (subject, version) = match self
            .get(&format!("/schemas/ids/{id}/versions"))
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => match r.json::<Vec<VersionAnswer>>().await {
                Ok(v) => v
                    .into_iter()
                    .next()
                    .map_or((None, None), |v| (Some(v.subject), Some(v.version))),
                Err(_) => (None, None),
            },
            _ => (None, None),
        };
        Ok(RegisteredSchema {
            id,
            subject,
            version,
            kind,
        })
    }
}

impl SchemaSource for Registry {
    fn schema(&self, id: u32) -> Result<Arc<RegisteredSchema>, String> {
        if let Some(c) = self.cache.lock().ok().and_then(|c| c.get(&id).cloned()) {
            match c {
                Cached::Found(s) => return Ok(s),
                Cached::Failed(e, at) if at.elapsed() < RETRY_FAILED_AFTER => return Err(e),
                Cached::Failed(..) => {}
            }
        }
        if let Ok(mut m) = self.misses.lock() {
            if m.1.elapsed() >= RETRY_FAILED_AFTER {
                *m = (0, Instant::now());
            }
            if m.0 >= MISS_BUDGET {
                return Err(format!(
                    "not asked: {MISS_BUDGET} unknown schema ids in the last {}s",
                    RETRY_FAILED_AFTER.as_secs()
                ));
            }
        }
        let got = self.runtime.block_on(self.fetch(id)).map(Arc::new);
        if got.is_err() {
            if let Ok(mut m) = self.misses.lock() {
                m.0 += 1;
            }
        }
        if let Ok(mut c) = self.cache.lock() {
            if c.len() >= MAX_CACHED {
                c.clear();
            }
            c.insert(
                id,
                match &got {
                    Ok(s) => Cached::Found(s.clone()),
                    Err(e) => Cached::Failed(e.clone(), Instant::now()),
                },
            );
        }
        got
    }
}
