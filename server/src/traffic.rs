//! Real Kafka traffic for the demo and the tests: create topics, produce keyed records to a
//! chosen partition, commit a group's offsets. Ordinary librdkafka clients, nothing mocked.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

fn base(bootstrap: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap).set("log_level", "3");
    c
}

/// Create topics (replication factor 1); topics that exist already are fine.
pub async fn create_topics(bootstrap: &str, topics: &[(&str, i32)]) -> Result<(), String> {
    let admin: AdminClient<DefaultClientContext> = base(bootstrap)
        .create()
        .map_err(|e| format!("admin client: {e}"))?;
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|(n, p)| NewTopic::new(n, *p, TopicReplication::Fixed(1)))
        .collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin
        .create_topics(&new, &opts)
        .await
        .map_err(|e| format!("CreateTopics: {e}"))?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => return Err(format!("CreateTopics {name}: {code:?}")),
        }
    }
    Ok(())
}

/// A producer tuned for small test and demo batches.
pub fn producer(bootstrap: &str) -> Result<BaseProducer, String> {
    base(bootstrap)
        .set("linger.ms", "5")
        .create()
        .map_err(|e| format!("producer: {e}"))
}

/// Queue one record for a partition, waiting while the local queue is full.
pub fn send(
    p: &BaseProducer,
    topic: &str,
    partition: i32,
    key: &str,
    value: &[u8],
) -> Result<(), String> {
    loop {
        let rec = BaseRecord::to(topic)
            .partition(partition)
            .key(key)
            .payload(value);
        match p.send(rec) {
            Ok(()) => return Ok(()),
            Err((e, _)) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::QueueFull) => {
                p.poll(Duration::from_millis(50));
            }
            Err((e, _)) => return Err(format!("produce to {topic}[{partition}]: {e}")),
        }
    }
}

/// Produce `count` JSON records to one partition and wait until the broker has them all.
pub fn produce_n(bootstrap: &str, topic: &str, partition: i32, count: usize) -> Result<(), String> {
    let p = producer(bootstrap)?;
    for i in 0..count {
        let v = format!("{{\"n\":{i},\"partition\":{partition}}}");
        send(
            &p,
            topic,
            partition,
            &format!("{topic}-{partition}-{i}"),
            v.as_bytes(),
        )?;
    }
    p.flush(Duration::from_secs(15))
        .map_err(|e| format!("flush: {e}"))
}

/// Commit offsets for a group without joining it (a simple consumer's commit).
pub fn commit(bootstrap: &str, group: &str, offsets: &[(&str, i32, i64)]) -> Result<(), String> {
    let c: BaseConsumer = base(bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .map_err(|e| format!("consumer: {e}"))?;
    let mut tpl = TopicPartitionList::new();
    for (t, p, o) in offsets {
        tpl.add_partition_offset(t, *p, Offset::Offset(*o))
            .map_err(|e| e.to_string())?;
    }
    c.commit(&tpl, CommitMode::Sync)
        .map_err(|e| format!("commit for {group}: {e}"))
}

/// A consumer with a group id that reads assigned partitions and commits what it read.
pub struct Reader {
    consumer: BaseConsumer,
}

impl Reader {
    pub fn new(
        bootstrap: &str,
        group: &str,
        topic: &str,
        partitions: i32,
    ) -> Result<Reader, String> {
        let consumer: BaseConsumer = base(bootstrap)
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .create()
            .map_err(|e| format!("consumer {group}: {e}"))?;
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions {
            tpl.add_partition(topic, p);
        }
        consumer.assign(&tpl).map_err(|e| e.to_string())?;
        Ok(Reader { consumer })
    }

    /// Read up to `max` records within `budget`, then commit; returns how many were read.
    pub fn read_and_commit(&self, max: usize, budget: Duration) -> usize {
        let until = std::time::Instant::now() + budget;
        let mut n = 0;
        while n < max && std::time::Instant::now() < until {
            if let Some(Ok(_)) = self.consumer.poll(Duration::from_millis(100)) {
                n += 1;
            }
        }
        if n > 0 {
            if let Err(e) = self.consumer.commit_consumer_state(CommitMode::Sync) {
                tracing::warn!(error = %e, "demo commit failed");
            }
        }
        n
    }
}

/// The tansu binary: `$TANSU_BIN`, else on PATH, else `~/.cargo/bin/tansu`.
fn tansu_bin() -> PathBuf {
    if let Ok(p) = std::env::var("TANSU_BIN") {
        return p.into();
    }
    if let Ok(path) = std::env::var("PATH") {
        for dir in std::env::split_paths(&path) {
            let c = dir.join("tansu");
            if c.is_file() {
                return c;
            }
        }
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let c = PathBuf::from(home).join(".cargo/bin/tansu");
    assert!(
        c.is_file(),
        "tansu is not installed: run scripts/test.sh (it installs tansu 0.6.0)"
    );
    c
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A tansu broker process (the test broker, crates.io `tansu`) with SQLite storage in its own
/// temporary directory, on a free loopback port. Used by the tests and the benchmark.
pub struct Tansu {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    pub port: u16,
    /// Started with `--authentication`: clients must pass SASL (SCRAM) first.
    authentication: bool,
}

impl Tansu {
    pub fn start() -> Tansu {
        let mut t = Tansu {
            child: None,
            dir: tempfile::tempdir().unwrap(),
            port: free_port(),
            authentication: false,
        };
        t.spawn();
        t
    }

    fn spawn(&mut self) {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("tansu.log"))
            .unwrap();
        let child = Command::new(tansu_bin())
            .current_dir(self.dir.path())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "sqlite://tansu.db"])
            .args(self.authentication.then_some("--authentication"))
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("starting tansu");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tansu did not open port {}: {}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("tansu.log")).unwrap_or_default()
    }

    /// Kill the broker process (SIGKILL) and wait for it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Store SCRAM credentials for a user (AlterUserScramCredentials through tansu's own
    /// CLI; `mechanism` is `scram256` or `scram512`). Before [`Tansu::require_authentication`].
    pub fn add_scram_user(&self, user: &str, password: &str, mechanism: &str) {
        let out = Command::new(tansu_bin())
            .current_dir(self.dir.path())
            .args(["user", "create", user, password, "--mechanism", mechanism])
            .args(["--broker", &format!("tcp://127.0.0.1:{}", self.port)])
            .output()
            .expect("running tansu user create");
        assert!(
            out.status.success(),
            "tansu user create: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Restart with `--authentication`: every client must authenticate with SASL SCRAM.
    pub fn require_authentication(&mut self) {
        self.authentication = true;
        self.restart();
    }

    /// Start it again on the same port with the same data.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        self.kill();
    }
}
