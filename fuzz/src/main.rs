//! One AFL++ harness for every target: `kafscope-fuzz TARGET` reads inputs in AFL's
//! persistent mode and runs them through `kafscope::fuzz_targets` on a 2 MiB stack; a
//! panic that gets out of a target aborts (AFL++ counts it as a crash).
//! scripts/fuzz.sh caps the target's memory (`afl-fuzz -m`): an input that makes a parser
//! reserve memory by a length it read aborts there and is kept as a crash.

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    // `kafscope-fuzz --write-seeds DIR`: the encoded Kafka answers `kafka_answer` starts from.
    if name == "--write-seeds" {
        let dir = std::env::args().nth(2).expect("a directory");
        for (file, bytes) in kafscope::fuzz_targets::kafka_seeds() {
            std::fs::write(std::path::Path::new(&dir).join(file), bytes).expect("a seed written");
        }
        return;
    }
    let Some(target) = kafscope::fuzz_targets::target(&name) else {
        let names: Vec<&str> = kafscope::fuzz_targets::TARGETS
            .iter()
            .map(|(n, _)| *n)
            .collect();
        eprintln!("usage: kafscope-fuzz TARGET (one of {})", names.join(", "));
        std::process::exit(2);
    };
    // Without afl's hook, which aborts on any panic — also on the ones Kafscope catches on
    // purpose (a library that panics on bad input): only a panic that gets out is a crash.
    afl::fuzz_nohook!(|data: &[u8]| {
        let out = std::panic::catch_unwind(|| kafscope::fuzz_targets::run(target, data));
        if out.is_err() {
            std::process::abort();
        }
    });
}
