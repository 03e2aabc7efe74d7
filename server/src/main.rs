//! The `kafscope` binary: configuration, logging, the listener and signals; the rest is
//! [`kafscope::launch`].

use clap::Parser;
use kafscope::config::{Cli, Command, Config};

/// mimalloc instead of glibc malloc: the collector's large per-cycle allocations, made on
/// several blocking threads, fragmented glibc's per-thread arenas (the 10 000-partition
/// benchmark measured 391 MB RSS with glibc). Built without its transparent-huge-page advice
/// (`no_thp`): with it, each touched 2 MiB of the arena stayed resident (the benchmark's
/// console held 138 MB instead of 95 MB).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    kafscope::kafka::ffi::tune_allocators();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kafscope: error: cannot start the runtime: {e}");
            std::process::exit(2);
        }
    };
    runtime.block_on(serve());
}

async fn serve() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KAFSCOPE_LOG")
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .init();
    if let Err(e) = run().await {
        eprintln!("kafscope: error: {e:#}");
        std::process::exit(2);
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::HashPassword) = cli.command {
        return hash_password();
    }
    let env: Vec<(String, String)> = std::env::vars().collect();
    let config = Config::load(&cli, &env)?;
    if let Some(Command::Check { cluster }) = &cli.command {
        return check(&config, cluster.as_deref()).await;
    }
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.server.listen))?;
    kafscope::launch(config, listener, shutdown_signal()).await
}

/// `kafscope check`: every configured cluster (or one), step by step; exit 1 when one cannot
/// be read.
async fn check(config: &Config, only: Option<&str>) -> anyhow::Result<()> {
    let clusters: Vec<_> = config
        .clusters
        .iter()
        .filter(|c| only.is_none_or(|o| o == c.name))
        .collect();
    if clusters.is_empty() {
        anyhow::bail!(
            "no cluster {}is configured",
            only.map(|o| format!("'{o}' ")).unwrap_or_default()
        );
    }
    let mut all_ok = true;
    for c in clusters {
        let d = kafscope::kafka::probe::check_now(c, Default::default()).await;
        print!("{}", kafscope::kafka::probe::render_text(&c.name, &d));
        all_ok &= d.ok;
    }
    if !all_ok {
        std::process::exit(1);
    }
    Ok(())
}

/// `kafscope hash-password`: read a password (without echo on a terminal), print its hash.
fn hash_password() -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ")?
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if password.is_empty() {
        anyhow::bail!("an empty password cannot be hashed");
    }
    let hash = kafscope::http::auth::hash_password(&password).map_err(anyhow::Error::msg)?;
    println!("{hash}");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
