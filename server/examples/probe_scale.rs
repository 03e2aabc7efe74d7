use std::time::Instant;
#[tokio::main]
async fn main() {
    let bs = "127.0.0.1:39092";
    let t = Instant::now();
    tokio::task::spawn_blocking(move || {
        for g in 0..1000 {
            let topic = format!("bench-{:03}", g % 100);
            let base = (g / 100) * 10;
            let offs: Vec<(&str, i32, i64)> =
                (0..10).map(|p| (topic.as_str(), base + p, 0)).collect();
            kafscope::traffic::commit(bs, &format!("bench-group-{g:04}"), &offs).unwrap();
        }
    })
    .await
    .unwrap();
    println!("commits: {:?}", t.elapsed());
}
