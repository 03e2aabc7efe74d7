//! `kafscope-demo-traffic`: real Kafka traffic for the demo and the browser tests.
//!
//! * `seed`: create `e2e-orders` (3 partitions), produce exactly 10/20/30 records, and commit
//!   group `e2e-readers` at 5 on partition 0 and 19 on partition 1 (none on 2); the browser
//!   tests commit 20 once the console watches (`commit`), so it was active, then stopped.
//! * `produce`: produce `--count` records to `--topic`/`--partition`. Exits.
//! * `commit`: commit `--offset` for `--group` on `--topic`/`--partition`. Exits.
//! * `run` (default): create demo topics and keep producing, with a healthy consumer group
//!   (`orders-processor`), a lagging one (`payments-slow`), one that consumes for half a
//!   minute and stops (`analytics-stopped`), a caught-up one on an idle topic
//!   (`audit-archiver`), and one abandoned before the console started (`legacy-reporting`).

use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use kafscope::traffic::{commit, create_topics, produce_n, producer, send, Reader};

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    Seed,
    Produce,
    Commit,
    Run,
}

#[derive(Parser)]
#[command(about = "Produce and consume demo traffic against a Kafka cluster")]
struct Args {
    #[arg(long, default_value = "127.0.0.1:9092")]
    bootstrap_servers: String,
    #[arg(long, value_enum, default_value = "run")]
    mode: Mode,
    /// Records per second per demo topic in `run` mode.
    #[arg(long, default_value_t = 5)]
    rate: usize,
    #[arg(long, default_value = "e2e-orders")]
    topic: String,
    #[arg(long, default_value_t = 0)]
    partition: i32,
    #[arg(long, default_value_t = 1)]
    count: usize,
    #[arg(long, default_value = "e2e-readers")]
    group: String,
    #[arg(long, default_value_t = 0)]
    offset: i64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    let bs = args.bootstrap_servers.as_str();
    let result = match args.mode {
        Mode::Seed => seed(bs).await,
        Mode::Produce => produce_n(bs, &args.topic, args.partition, args.count),
        Mode::Commit => commit(
            bs,
            &args.group,
            &[(&args.topic, args.partition, args.offset)],
        ),
        Mode::Run => run(bs, args.rate).await,
    };
    if let Err(e) = result {
        eprintln!("kafscope-demo-traffic: {e}");
        std::process::exit(1);
    }
}

async fn seed(bs: &str) -> Result<(), String> {
    create_topics(bs, &[("e2e-orders", 3)]).await?;
    for (partition, count) in [(0, 10), (1, 20), (2, 30)] {
        produce_n(bs, "e2e-orders", partition, count)?;
    }
    commit(
        bs,
        "e2e-readers",
        &[("e2e-orders", 0, 5), ("e2e-orders", 1, 19)],
    )?;
    println!("seeded e2e-orders (10/20/30 records) and group e2e-readers (5, 19, none)");
    Ok(())
}

async fn run(bs: &str, rate: usize) -> Result<(), String> {
    create_topics(
        bs,
        &[
            ("orders", 3),
            ("payments", 2),
            ("audit-log", 1),
            ("inventory", 2),
        ],
    )
    .await?;
    // Some history everywhere, including a topic nobody produces to afterwards.
    produce_n(bs, "audit-log", 0, 20)?;
    produce_n(bs, "inventory", 0, 10)?;
    produce_n(bs, "inventory", 1, 10)?;
    commit(
        bs,
        "analytics-stopped",
        &[("inventory", 0, 4), ("inventory", 1, 2)],
    )?;
    commit(bs, "audit-archiver", &[("audit-log", 0, 20)])?;
    // Abandoned before anyone watched: `inactive`, never an alert.
    commit(bs, "legacy-reporting", &[("audit-log", 0, 3)])?;

    let p = producer(bs)?;
    let healthy = Reader::new(bs, "orders-processor", "orders", 3)?;
    let slow = Reader::new(bs, "payments-slow", "payments", 2)?;
    println!("demo traffic running: orders and payments at {rate}/s; stop with Ctrl-C");
    let mut seq: u64 = 0;
    loop {
        let started = Instant::now();
        for _ in 0..rate {
            seq += 1;
            let order = format!("{{\"order_id\":{seq},\"amount\":{}}}", seq % 97);
            send(
                &p,
                "orders",
                (seq % 3) as i32,
                &format!("order-{seq}"),
                order.as_bytes(),
            )?;
            let pay = format!("{{\"payment_id\":{seq}}}");
            send(
                &p,
                "payments",
                (seq % 2) as i32,
                &format!("pay-{seq}"),
                pay.as_bytes(),
            )?;
            if seq.is_multiple_of(50) {
                send(
                    &p,
                    "inventory",
                    (seq % 2) as i32,
                    &format!("sku-{seq}"),
                    b"{\"qty\":1}",
                )?;
            }
        }
        p.poll(Duration::ZERO);
        // analytics-stopped consumes inventory for its first half minute, then stops.
        if seq <= (30 * rate) as u64 && seq.is_multiple_of((5 * rate) as u64) {
            let step = (seq / (5 * rate) as u64) as i64;
            commit(
                bs,
                "analytics-stopped",
                &[("inventory", 0, 4 + step), ("inventory", 1, 2 + step)],
            )?;
        }
        // The healthy group keeps up; the slow one reads a third of what arrives.
        healthy.read_and_commit(rate * 4, Duration::from_millis(400));
        slow.read_and_commit((rate / 3).max(1), Duration::from_millis(400));
        if let Some(rest) = Duration::from_secs(1).checked_sub(started.elapsed()) {
            tokio::time::sleep(rest).await;
        }
    }
}
