//! Record decoding benchmark (pure, in process): Confluent wire-format Avro with logical
//! types and a nested named type, Protobuf with a nested message beside a map, and JSON, each
//! decoded `BENCH_RECORDS` times (default 200 000) as a scan decodes them; prints records/s
//! and ns per record.
//!
//! `cargo bench -p kafscope --bench decode`

use std::sync::Arc;
use std::time::Instant;

use kafscope::messages::decode::{
    decode, Decoding, Lookup, RegisteredSchema, SchemaKind, SchemaSource,
};

struct Two(Arc<RegisteredSchema>, Arc<RegisteredSchema>);

impl SchemaSource for Two {
    fn schema(&self, id: u32) -> Result<Arc<RegisteredSchema>, Lookup> {
        match id {
            1 => Ok(self.0.clone()),
            2 => Ok(self.1.clone()),
            _ => Err(Lookup::NotFound),
        }
    }
}

fn zigzag(n: i64, out: &mut Vec<u8>) {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8 & 0x7f) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn main() {
    let n: usize = std::env::var("BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let avro = kafscope::messages::avro::parse(
        r#"{"type":"record","name":"Order","namespace":"shop","fields":[
            {"name":"id","type":"long"},
            {"name":"customer","type":"string"},
            {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
            {"name":"day","type":{"type":"int","logicalType":"date"}},
            {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
            {"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[
                {"name":"sku","type":"string"},{"name":"qty","type":"int"}]}}}]}"#,
        &[],
    )
    .unwrap();
    let proto = kafscope::messages::protobuf::compile(
        "syntax = \"proto3\"; package ship; message H { string id = 1; }
         message Shipment { map<string, int32> counts = 1;
           message Item { string sku = 1; int64 units = 2; } repeated Item items = 2; }",
        &[],
    )
    .unwrap();
    let registry = Two(
        Arc::new(RegisteredSchema {
            id: 1,
            subject: Some("orders-value".into()),
            version: Some(3),
            kind: SchemaKind::Avro(Box::new(avro)),
        }),
        Arc::new(RegisteredSchema {
            id: 2,
            subject: Some("shipments-value".into()),
            version: Some(1),
            kind: SchemaKind::Protobuf(Box::new(proto)),
        }),
    );
    let mut a = vec![0, 0, 0, 0, 1];
    zigzag(42, &mut a);
    zigzag(8, &mut a);
    a.extend_from_slice(b"customer");
    zigzag(2, &mut a);
    a.extend_from_slice(&[0x30, 0x39]);
    zigzag(19_723, &mut a);
    zigzag(1_704_067_200_123, &mut a);
    zigzag(3, &mut a);
    for i in 0..3 {
        zigzag(4, &mut a);
        a.extend_from_slice(b"sku-");
        zigzag(i, &mut a);
    }
    a.push(0);
    let p: Vec<u8> = vec![0, 0, 0, 0, 2, 4, 2, 0, 0x0a, 3, b's', b'k', b'u', 0x10, 7];
    let j = br#"{"n":42,"user":"u42","amount":17,"lines":[{"sku":"a","qty":1}]}"#.to_vec();
    println!("records: {n} per format");
    for (name, bytes) in [
        ("avro (logical types, nested records)", &a),
        ("protobuf ([1,0] beside a map)", &p),
        ("json", &j),
    ] {
        let d = decode(bytes, Decoding::Auto, Some(&registry));
        assert!(d.json.is_some(), "{name}: {d:?}");
        let t = Instant::now();
        let mut keys = 0usize;
        for _ in 0..n {
            let d = decode(bytes, Decoding::Auto, Some(&registry));
            keys += d
                .json
                .as_ref()
                .and_then(|v| v.as_object())
                .map_or(0, |o| o.len());
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "{name:40} {:>10.0} records/s  {:>7.0} ns/record  ({keys} keys)",
            n as f64 / s,
            s * 1e9 / n as f64
        );
    }
}
