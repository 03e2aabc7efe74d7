//! Confluent Schema Registry client (also Karapace, Redpanda, Apicurio's compatible API):
//! schemas by id for decoding, cached (an id's schema never changes) with the schemas they
//! reference; failures are remembered briefly so a scan over a million records does not ask
//! a million times. Also the calls of the registry browser (subjects, versions,
//! compatibility, register, delete), each bounded by the configured timeout.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::decode::{Lookup, RegisteredSchema, SchemaKind, SchemaSource};
use crate::config::SchemaRegistryConfig;

const MAX_CACHED: usize = 10_000;
const RETRY_FAILED_AFTER: Duration = Duration::from_secs(30);
/// Unknown ids looked up per `RETRY_FAILED_AFTER`; beyond it (say, integer keys that start
/// with byte 0) new ids are not asked for until the period ends.
const MISS_BUDGET: u32 = 50;
/// Schemas one schema may reference, all levels together (a guard against cycles and
/// registries that answer nonsense).
const MAX_REFERENCES: usize = 100;
/// Bytes of one registry answer read at most.
const MAX_ANSWER: usize = 16 << 20;
/// How long a referenced version is reused without asking again.
const VERSION_TTL: Duration = Duration::from_secs(300);

pub struct Registry {
    cfg: SchemaRegistryConfig,
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
    cache: Mutex<HashMap<u32, Cached>>,
    /// Referenced schemas by (subject, version), for a while: a version number can be
    /// reused after a permanent delete, so entries age out and changes made here drop them.
    versions: Mutex<HashMap<(String, i64), Fetched>>,
    /// (failed lookups, since) of the current period.
    misses: Mutex<(u32, Instant)>,
}

/// A referenced version and when it was asked.
type Fetched = (Arc<Version>, Instant);

#[derive(Clone)]
enum Cached {
    Found(Arc<RegisteredSchema>),
    Failed(Lookup, Instant),
}

/// A reference of a schema to another subject's version, under the name it is used by
/// (a Protobuf import path, an Avro full name, a JSON Schema `$ref` URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub name: String,
    pub subject: String,
    pub version: i64,
}

/// One registered version of a subject, as the registry answers it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Version {
    pub subject: String,
    pub version: i64,
    pub id: u32,
    pub schema: String,
    #[serde(rename = "schemaType", default)]
    pub schema_type: Option<String>,
    #[serde(default)]
    pub references: Vec<Reference>,
}

impl Version {
    /// `AVRO`, `PROTOBUF` or `JSON` (the registry leaves it out for Avro).
    pub fn kind(&self) -> &str {
        self.schema_type.as_deref().unwrap_or("AVRO")
    }
}

#[derive(Deserialize)]
struct SchemaAnswer {
    schema: String,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
}

#[derive(Deserialize)]
struct VersionOfId {
    subject: String,
    version: i64,
}

/// Why a registry call failed: a sentence, and what kind of failure it was.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryError {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No answer (connection, timeout, TLS) or a 5xx.
    Unreachable,
    /// 404: the subject, version or schema does not exist.
    NotFound,
    /// 409: not compatible, or a state conflict (not soft-deleted first).
    Conflict,
    /// 422 or 400: the request was wrong (an invalid schema, a bad level).
    Invalid,
    /// 401/403: the registry refused Kafscope's credentials.
    Refused,
}

impl RegistryError {
    fn new(kind: ErrorKind, message: impl Into<String>) -> RegistryError {
        RegistryError {
            kind,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The registry's error answer: `{"error_code": 40401, "message": "Subject not found."}`.
#[derive(Deserialize, Default)]
struct ErrorAnswer {
    #[serde(default)]
    error_code: i64,
    #[serde(default)]
    message: String,
}

/// Characters of the registry's own message repeated at most (it lands in answers and audit
/// rows).
const MAX_SAID: usize = 500;

/// The sentence for a registry error answer (Confluent's error codes).
pub fn explain(status: u16, code: i64, message: &str) -> RegistryError {
    use ErrorKind::*;
    let message = message.trim().trim_end_matches('.');
    let said = if message.is_empty() {
        String::new()
    } else if message.chars().count() > MAX_SAID {
        let cut: String = message.chars().take(MAX_SAID).collect();
        format!(" (the registry said: {cut}…)")
    } else {
        format!(" (the registry said: {message})")
    };
    let (kind, text) = match (status, code) {
        (_, 40401) => (NotFound, "the subject is not in the registry".to_string()),
        (_, 40402) => (NotFound, "that version of the subject does not exist".into()),
        (_, 40403) => (NotFound, "that schema is not in the registry".into()),
        (_, 40404) => (
            Conflict,
            "the subject was soft-deleted; it can be deleted permanently, or registered again"
                .into(),
        ),
        (_, 40405) => (
            Conflict,
            "a permanent delete needs a soft delete first: delete it without 'permanent', then permanently".into(),
        ),
        (_, 40406) => (
            Conflict,
            "that version was soft-deleted; it can be deleted permanently".into(),
        ),
        (_, 40407) => (
            Conflict,
            "a permanent delete of a version needs a soft delete of it first".into(),
        ),
        (_, 40408) => (
            NotFound,
            "the subject has no compatibility level of its own (the global level applies)".into(),
        ),
        (409, _) => (
            Conflict,
            "the schema is not compatible with the subject's earlier versions under its compatibility level".into(),
        ),
        (_, 42201) => (Invalid, "the schema is not valid".into()),
        (_, 42202) => (Invalid, "the version is not valid".into()),
        (_, 42203) => (
            Invalid,
            "the compatibility level is not valid (NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE)".into(),
        ),
        (_, 42205) => (
            Conflict,
            "the registry is in a mode that refuses this change (READONLY or IMPORT)".into(),
        ),
        (_, 42206) => (
            Conflict,
            "another schema references it: delete or change that schema first".into(),
        ),
        (401 | 403, _) => (
            Refused,
            "the registry refused Kafscope's credentials (check schema_registry.username/password/token)".into(),
        ),
        // A 404 without a registry error code comes from something else (a wrong path, a
        // proxy): not "this schema does not exist".
        (404, _) => (
            Unreachable,
            "the registry URL answered 404 without a Schema Registry error (check schema_registry.url: a wrong path or a proxy?)".into(),
        ),
        (400 | 422, _) => (Invalid, "the registry refused the request".into()),
        (s, _) if s >= 500 => (Unreachable, format!("the registry failed (HTTP {s})")),
        (s, _) => (
            Unreachable,
            format!("the registry answered HTTP {s}, which its API does not (check schema_registry.url)"),
        ),
    };
    RegistryError::new(kind, format!("{text}{said}"))
}

impl Registry {
    /// Must be created inside the runtime; lookups for decoding run on blocking threads.
    pub fn new(cfg: SchemaRegistryConfig) -> Registry {
        let mut b = reqwest::Client::builder().timeout(cfg.timeout);
        if let Some(pem) = &cfg.ca_pem {
            // Checked when the configuration was read.
            if let Ok(certs) = reqwest::Certificate::from_pem_bundle(pem) {
                for c in certs {
                    b = b.add_root_certificate(c);
                }
            }
        }
        Registry {
            http: b.build().unwrap_or_default(),
            cfg,
            runtime: tokio::runtime::Handle::current(),
            cache: Mutex::new(HashMap::new()),
            versions: Mutex::new(HashMap::new()),
            misses: Mutex::new((0, Instant::now())),
        }
    }

    /// The registry's address without credentials, for people.
    pub fn address(&self) -> String {
        crate::config::redact_url(&self.cfg.url)
    }

    fn url(&self, segments: &[&str]) -> Result<reqwest::Url, RegistryError> {
        let mut url = reqwest::Url::parse(&self.cfg.url).map_err(|e| {
            RegistryError::new(
                ErrorKind::Invalid,
                format!("the registry URL is not valid: {e}"),
            )
        })?;
        url.path_segments_mut()
            .map_err(|_| RegistryError::new(ErrorKind::Invalid, "the registry URL has no path"))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    fn request(&self, method: reqwest::Method, url: reqwest::Url) -> reqwest::RequestBuilder {
        let req = self
            .http
            .request(method, url)
            .header("accept", "application/vnd.schemaregistry.v1+json");
        if let Some(t) = &self.cfg.token {
            req.bearer_auth(&t.0)
        } else if let Some(u) = &self.cfg.username {
            req.basic_auth(u, self.cfg.password.as_ref().map(|p| p.0.clone()))
        } else {
            req
        }
    }

    /// One call: `segments` are the path's parts (encoded here), `query` its parameters.
    /// The address is made before the future, which borrows nothing but the registry.
    pub fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        segments: &[&str],
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> impl std::future::Future<Output = Result<T, RegistryError>> + Send + '_ {
        let url = self.url(segments).map(|mut url| {
            if !query.is_empty() {
                url.query_pairs_mut().extend_pairs(query);
            }
            url
        });
        let body = body.map(serde_json::Value::to_string);
        async move {
            let mut req = self.request(method, url?);
            if let Some(b) = body {
                req = req
                    .header("content-type", "application/vnd.schemaregistry.v1+json")
                    .body(b);
            }
            let unreachable = |e: reqwest::Error| {
                RegistryError::new(
                    ErrorKind::Unreachable,
                    format!(
                        "registry unreachable: {}",
                        crate::metrics::scrape::describe(&e)
                    ),
                )
            };
            let mut resp = req.send().await.map_err(unreachable)?;
            let status = resp.status().as_u16();
            let mut bytes = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(unreachable)? {
                if bytes.len() + chunk.len() > MAX_ANSWER {
                    return Err(RegistryError::new(
                        ErrorKind::Unreachable,
                        format!(
                            "the registry's answer is larger than {} MiB",
                            MAX_ANSWER >> 20
                        ),
                    ));
                }
                bytes.extend_from_slice(&chunk);
            }
            if !(200..300).contains(&status) {
                let e: ErrorAnswer = serde_json::from_slice(&bytes).unwrap_or_default();
                return Err(explain(status, e.error_code, &e.message));
            }
            serde_json::from_slice(&bytes).map_err(|e| {
                RegistryError::new(
                    ErrorKind::Unreachable,
                    format!("the registry's answer is not what its API describes: {e}"),
                )
            })
        }
    }

    pub fn get<T: DeserializeOwned>(
        &self,
        segments: &[&str],
    ) -> impl std::future::Future<Output = Result<T, RegistryError>> + Send + '_ {
        self.call(reqwest::Method::GET, segments, &[], None)
    }

    /// One version of a subject (`latest` or a number); `deleted` also finds a soft-deleted
    /// version. Always asked: the browser shows what the registry says now.
    pub async fn version(
        &self,
        subject: &str,
        version: &str,
        deleted: bool,
    ) -> Result<Arc<Version>, RegistryError> {
        let query: &[(&str, &str)] = if deleted { &[("deleted", "true")] } else { &[] };
        let v: Version = self
            .call(
                reqwest::Method::GET,
                &["subjects", subject, "versions", version],
                query,
                None,
            )
            .await?;
        Ok(Arc::new(v))
    }

    /// A referenced version, reused for [`VERSION_TTL`].
    async fn referenced(&self, subject: &str, version: i64) -> Result<Arc<Version>, RegistryError> {
        let key = (subject.to_string(), version);
        if let Some((v, at)) = self.versions.lock().ok().and_then(|c| c.get(&key).cloned()) {
            if at.elapsed() < VERSION_TTL {
                return Ok(v);
            }
        }
        let v = self.version(subject, &version.to_string(), true).await?;
        if let Ok(mut c) = self.versions.lock() {
            if c.len() >= MAX_CACHED {
                c.clear();
            }
            c.insert(key, (v.clone(), Instant::now()));
        }
        Ok(v)
    }

    /// Forget what is cached of `subject` (after a change made through Kafscope); decoded
    /// schema ids stay: an id always names the same schema.
    pub fn forget(&self, subject: &str) {
        if let Ok(mut c) = self.versions.lock() {
            c.retain(|(s, _), _| s != subject);
        }
    }

    /// Every schema `refs` reaches, dependencies before the schemas that use them, each
    /// once, as (name it is referenced by, version).
    pub async fn resolve_references(
        &self,
        refs: &[Reference],
    ) -> Result<Vec<(String, Arc<Version>)>, RegistryError> {
        let mut out: Vec<(String, Arc<Version>)> = Vec::new();
        // Depth-first with an explicit stack: (reference, its children already queued).
        let mut stack: Vec<(Reference, bool)> =
            refs.iter().rev().map(|r| (r.clone(), false)).collect();
        let mut fetched = 0usize;
        while let Some((r, expanded)) = stack.pop() {
            if out
                .iter()
                .any(|(n, v)| n == &r.name && v.subject == r.subject)
            {
                continue;
            }
            // Counted once per reference (not again when it comes back expanded).
            if !expanded {
                fetched += 1;
            }
            if fetched > MAX_REFERENCES {
                return Err(RegistryError::new(
                    ErrorKind::Invalid,
                    format!(
                        "the schema references more than {MAX_REFERENCES} schemas (or a cycle)"
                    ),
                ));
            }
            let v = self
                .referenced(&r.subject, r.version)
                .await
                .map_err(|e| RegistryError {
                    message: format!(
                        "its reference {} (subject {} v{}): {}",
                        r.name, r.subject, r.version, e.message
                    ),
                    ..e
                })?;
            if expanded || v.references.is_empty() {
                out.push((r.name.clone(), v));
            } else {
                stack.push((r.clone(), true));
                stack.extend(v.references.iter().rev().map(|c| (c.clone(), false)));
            }
        }
        Ok(out)
    }

    async fn fetch(&self, id: u32) -> Result<RegisteredSchema, Lookup> {
        let failed = |e: RegistryError| match e.kind {
            ErrorKind::NotFound => Lookup::NotFound,
            _ => Lookup::Failed(format!("schema {id}: {}", e.message)),
        };
        let id_text = id.to_string();
        let a: SchemaAnswer = self
            .get(&["schemas", "ids", &id_text])
            .await
            .map_err(failed)?;
        let refs = self
            .resolve_references(&a.references)
            .await
            .map_err(|e| Lookup::Failed(format!("schema {id}: {}", e.message)))?;
        let kind = compile(a.schema_type.as_deref(), &a.schema, &refs)
            .map_err(|e| Lookup::Failed(format!("schema {id}: {e}")))?;
        // Which subject and version it is registered under (best effort: older registries
        // lack this endpoint).
        let (subject, version) = match self
            .get::<Vec<VersionOfId>>(&["schemas", "ids", &id_text, "versions"])
            .await
        {
            Ok(v) => v
                .into_iter()
                .next()
                .map_or((None, None), |v| (Some(v.subject), Some(v.version))),
            Err(_) => (None, None),
        };
        Ok(RegisteredSchema {
            id,
            subject,
            version,
            kind,
        })
    }
}

/// A registry schema made ready for decoding, with its references' texts.
pub fn compile(
    schema_type: Option<&str>,
    text: &str,
    refs: &[(String, Arc<Version>)],
) -> Result<SchemaKind, String> {
    Ok(match schema_type.unwrap_or("AVRO") {
        "AVRO" => {
            let texts: Vec<String> = refs.iter().map(|(_, v)| v.schema.clone()).collect();
            SchemaKind::Avro(Box::new(super::avro::parse(text, &texts)?))
        }
        // Records are shown as the JSON they are; referenced schemas only validate.
        "JSON" => SchemaKind::Json,
        "PROTOBUF" => {
            let files: Vec<(String, String)> = refs
                .iter()
                .map(|(n, v)| (n.clone(), v.schema.clone()))
                .collect();
            SchemaKind::Protobuf(Box::new(super::protobuf::compile(text, &files)?))
        }
        other => return Err(format!("unknown schema type {other}")),
    })
}

impl SchemaSource for Registry {
    fn schema(&self, id: u32) -> Result<Arc<RegisteredSchema>, Lookup> {
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
                return Err(Lookup::Failed(format!(
                    "schema {id}: not asked, {MISS_BUDGET} schema ids failed in the last {}s",
                    RETRY_FAILED_AFTER.as_secs()
                )));
            }
        }
        // One schema with its references within a few registry timeouts, whatever it holds.
        let bound = self.cfg.timeout * 3;
        let got = self
            .runtime
            .block_on(async {
                tokio::time::timeout(bound, self.fetch(id))
                    .await
                    .unwrap_or_else(|_| {
                        Err(Lookup::Failed(format!(
                            "schema {id}: the registry did not give it and its references within {}s",
                            bound.as_secs()
                        )))
                    })
            })
            .map(Arc::new);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_error_codes_become_sentences() {
        let e = explain(404, 40401, "Subject 'x' not found.");
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(
            e.message,
            "the subject is not in the registry (the registry said: Subject 'x' not found)"
        );
        assert_eq!(explain(409, 409, "").kind, ErrorKind::Conflict);
        assert!(explain(409, 409, "").message.contains("not compatible"));
        assert!(explain(404, 40405, "")
            .message
            .contains("soft delete first"));
        assert_eq!(explain(422, 42201, "bad").kind, ErrorKind::Invalid);
        assert_eq!(explain(401, 0, "").kind, ErrorKind::Refused);
        assert_eq!(explain(503, 0, "").kind, ErrorKind::Unreachable);
        assert_eq!(explain(422, 42206, "").kind, ErrorKind::Conflict);
        // A bare 404 (a wrong URL or a proxy) is not "not found".
        let e = explain(404, 0, "");
        assert_eq!(e.kind, ErrorKind::Unreachable);
        assert!(e.message.contains("check schema_registry.url"));
        assert_eq!(explain(405, 0, "").kind, ErrorKind::Unreachable);
        let long = "x".repeat(10_000);
        assert!(explain(422, 42201, &long).message.len() < 700);
    }
}
