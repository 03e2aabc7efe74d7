//! The browser tests' Schema Registry: the replay of a real registry's recorded answers
//! (`server/tests/fixtures/registry/<name>.json`), or, with `KAFSCOPE_TEST_REGISTRY` set to a
//! fresh real registry, a proxy that records them. Prints its URL, then serves until stopped.
//!
//! `cargo run --example registry_replay -- karapace-ui`

#[allow(dead_code)]
#[path = "../tests/common/recorded_registry.rs"]
mod recorded_registry;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "karapace-ui".into());
    let r = recorded_registry::RecordedRegistry::start(&name).await;
    println!("{}", r.url);
    let _ = tokio::signal::ctrl_c().await;
}
