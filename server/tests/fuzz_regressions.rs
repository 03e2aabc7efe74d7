//! Every seed and every input a fuzzer ever found (`fuzz/seeds/<target>/`,
//! `fuzz/regressions/<target>/`, and the encoded Kafka answers) run through their targets
//! (`kafscope::fuzz_targets`) on production's 2 MiB stack: none may panic. A crash
//! `scripts/fuzz.sh` finds is kept under `fuzz/regressions/` and stays fixed here.

use std::path::Path;

use kafscope::fuzz_targets::{kafka_answer, kafka_seeds, run, target, TARGETS};

fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .filter_map(Result::ok)
        .map(|e| {
            (
                e.path().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn seeds_and_found_inputs_never_crash_a_parser() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut ran = 0;
    for kind in ["seeds", "regressions"] {
        let Ok(dirs) = std::fs::read_dir(fuzz.join(kind)) else {
            continue;
        };
        for dir in dirs.filter_map(Result::ok) {
            let name = dir.file_name().to_string_lossy().to_string();
            let f = target(&name).unwrap_or_else(|| panic!("fuzz/{kind}/{name}: no such target"));
            for (file, bytes) in inputs(&dir.path()) {
                eprintln!("{file}");
                run(f, &bytes);
                ran += 1;
            }
        }
    }
    for (name, bytes) in kafka_seeds() {
        eprintln!("kafka_answer/{name}");
        run(kafka_answer, &bytes);
        ran += 1;
    }
    // Every target has seeds (kafka_answer's are made in code).
    for (name, _) in TARGETS {
        assert!(
            *name == "kafka_answer" || fuzz.join("seeds").join(name).is_dir(),
            "no seeds for {name}"
        );
    }
    assert!(ran > 80, "{ran}");
}
