//! Protobuf records in Confluent wire format: the registry's `.proto` text compiled in
//! process (protox, a Rust protobuf compiler; Google's well-known types included), the
//! message chosen by the wire format's message indexes, decoded with prost-reflect and
//! shown as JSON (proto field names, 64-bit integers as numbers, defaults shown). Pure.

use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

const FILE: &str = "registry-schema.proto";

/// A compiled `.proto` schema.
#[derive(Debug)]
pub struct ProtoSchema {
    pool: DescriptorPool,
}

/// The schema and the files it imports, by import name (the registry's reference names).
struct Files(Vec<(String, String)>);

impl FileResolver for Files {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.0.iter().find(|(n, _)| n == name) {
            Some((n, source)) => File::from_source(n, source),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// Compile the registry's schema text; `imports` are its references as (import name,
/// source); Google's well-known types need none.
pub fn compile(source: &str, imports: &[(String, String)]) -> Result<ProtoSchema, String> {
    let mut files = vec![(FILE.to_string(), source.to_string())];
    files.extend(imports.iter().cloned());
    let mut resolver = ChainFileResolver::new();
    resolver.add(Files(files));
    resolver.add(GoogleFileResolver::new());
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler
        .open_file(FILE)
        .map_err(|e| format!("the registry's Protobuf schema does not compile: {e}"))?;
    Ok(ProtoSchema {
        pool: compiler.descriptor_pool(),
    })
}

/// A zig-zag varint, and the bytes after it.
fn zigzag(data: &[u8]) -> Result<(i64, &[u8]), String> {
    let mut n: u64 = 0;
    for (i, b) in data.iter().enumerate().take(10) {
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((((n >> 1) as i64) ^ -((n & 1) as i64), &data[i + 1..]));
        }
    }
    Err("the message indexes end early".into())
}

/// The message indexes that precede Protobuf data: a count, then that many indexes; a
/// count of 0 means the first message of the file.
fn indexes(data: &[u8]) -> Result<(Vec<usize>, &[u8]), String> {
    let (count, mut rest) = zigzag(data)?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    if !(1..=100).contains(&count) {
        return Err(format!("{count} message indexes is not plausible"));
    }
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let (i, r) = zigzag(rest)?;
        if i < 0 {
            return Err(format!("message index {i} is negative"));
        }
        out.push(i as usize);
        rest = r;
    }
    Ok((out, rest))
}

fn message(schema: &ProtoSchema, path: &[usize]) -> Result<MessageDescriptor, String> {
    let file = schema
        .pool
        .get_file_by_name(FILE)
        .ok_or("the compiled schema has no file")?;
    let missing = || format!("the schema has no message at index path {path:?}");
    let mut msg = file.messages().nth(path[0]).ok_or_else(missing)?;
    // Nested messages as declared: the entry types the compiler generates for `map<>` fields
    // are not counted, as Confluent's serializers index from the schema's declarations.
    for &i in &path[1..] {
        let child = msg.child_messages().filter(|m| !m.is_map_entry()).nth(i);
        msg = child.ok_or_else(missing)?;
    }
    Ok(msg)
}

/// Decode the bytes after the schema id; also returns the message's full name.
pub fn decode(schema: &ProtoSchema, data: &[u8]) -> Result<(serde_json::Value, String), String> {
    let (path, rest) = indexes(data)?;
    let desc = message(schema, &path)?;
    let name = desc.full_name().to_string();
    let msg = DynamicMessage::decode(desc, rest)
        .map_err(|e| format!("the data is not a valid {name}: {e}"))?;
    let opts = SerializeOptions::new()
        .use_proto_field_name(true)
        .stringify_64_bit_integers(false)
        .skip_default_fields(false);
    let json = msg
        .serialize_with_options(serde_json::value::Serializer, &opts)
        .map_err(|e| format!("{name} as JSON: {e}"))?;
    Ok((json, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"
        syntax = "proto3";
        package shop;
        import "google/protobuf/timestamp.proto";
        message Order {
            int64 id = 1;
            string item = 2;
            message Line { string sku = 1; uint32 qty = 2; }
            repeated Line lines = 3;
            google.protobuf.Timestamp at = 4;
        }
        message Refund { string reason = 1; }
    "#;

    #[test]
    fn the_first_message_by_the_short_index_form() {
        let s = compile(SCHEMA, &[]).unwrap();
        // Written by hand from the encoding spec: index count 0, then field 1 varint 42,
        // field 2 "tea", field 3 a Line {sku: "A", qty: 2}.
        let data = [
            0x00, 0x08, 42, 0x12, 3, b't', b'e', b'a', 0x1a, 5, 0x0a, 1, b'A', 0x10, 2,
        ];
        let (json, name) = decode(&s, &data).unwrap();
        assert_eq!(name, "shop.Order");
        assert_eq!(json["id"], 42);
        assert_eq!(json["item"], "tea");
        assert_eq!(json["lines"], serde_json::json!([{"sku": "A", "qty": 2}]));
    }

    #[test]
    fn nested_and_later_messages_by_their_index_path() {
        let s = compile(SCHEMA, &[]).unwrap();
        // [1] → Refund (zig-zag: count 1 → 2, index 1 → 2).
        let (json, name) = decode(&s, &[2, 2, 0x0a, 2, b'n', b'o']).unwrap();
        assert_eq!(
            (name.as_str(), json["reason"].as_str()),
            ("shop.Refund", Some("no"))
        );
        // [0, 0] → Order.Line.
        let (_, name) = decode(&s, &[4, 0, 0, 0x0a, 1, b'B']).unwrap();
        assert_eq!(name, "shop.Order.Line");
    }

    #[test]
    fn nested_indexes_beside_map_fields_count_declared_messages_only() {
        let s = compile(
            r#"
            syntax = "proto3";
            package ship;
            message Header { string id = 1; }
            message Shipment {
                map<string, int32> counts = 1;
                message Item { string sku = 1; }
                repeated Item items = 2;
                map<string, string> tags = 3;
                message Box { int32 n = 1; }
            }
        "#,
            &[],
        )
        .unwrap();
        // [1, 0] → Shipment.Item (not the generated Shipment.CountsEntry).
        let (json, name) = decode(&s, &[4, 2, 0, 0x0a, 1, b'A']).unwrap();
        assert_eq!(name, "ship.Shipment.Item");
        assert_eq!(json["sku"], "A");
        // [1, 1] → Shipment.Box, after two map fields.
        let (json, name) = decode(&s, &[4, 2, 2, 0x08, 5]).unwrap();
        assert_eq!(name, "ship.Shipment.Box");
        assert_eq!(json["n"], 5);
        // [1, 2]: there is no third declared message.
        assert!(decode(&s, &[4, 2, 4, 0x08, 5])
            .unwrap_err()
            .contains("no message at index path [1, 2]"));
    }

    #[test]
    fn imported_messages_of_references_are_used_and_not_counted_as_the_schemas_own() {
        let common = r#"
            syntax = "proto3";
            package common;
            message Money { int64 units = 1; string currency = 2; }
        "#;
        let s = compile(
            r#"
            syntax = "proto3";
            package shop;
            import "common/money.proto";
            message Order { string id = 1; common.Money total = 2; }
        "#,
            &[("common/money.proto".into(), common.into())],
        )
        .unwrap();
        // [] → shop.Order (the imported file's messages are not the schema's first).
        let data = [
            0x00, 0x0a, 1, b'a', 0x12, 7, 0x08, 5, 0x12, 3, b'E', b'U', b'R',
        ];
        let (json, name) = decode(&s, &data).unwrap();
        assert_eq!(name, "shop.Order");
        assert_eq!(
            json,
            serde_json::json!({"id": "a", "total": {"units": 5, "currency": "EUR"}})
        );
        let e = compile("syntax = \"proto3\"; import \"missing.proto\";", &[]).unwrap_err();
        assert!(e.contains("missing.proto"), "{e}");
    }

    #[test]
    fn wrong_data_and_schemas_are_errors_with_reasons() {
        let s = compile(SCHEMA, &[]).unwrap();
        assert!(decode(&s, &[2, 10, 0])
            .unwrap_err()
            .contains("no message at index path"));
        assert!(decode(&s, &[0, 0x12, 9, b'x'])
            .unwrap_err()
            .contains("not a valid shop.Order"));
        assert!(decode(&s, &[0x80]).unwrap_err().contains("end early"));
        assert!(compile("message {", &[])
            .unwrap_err()
            .contains("does not compile"));
    }
}
