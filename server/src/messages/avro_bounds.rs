//! A bounded walk over an Avro datum before apache-avro decodes it. apache-avro reserves
//! room for an array or map block by the count the data declares, and recurses without a
//! limit: a few bytes could make it reserve gigabytes, loop over billions of zero-size
//! items, or (with a recursive schema) overflow the stack. This walk reads the datum as the
//! schema says, builds nothing, and refuses one that nests deeper than [`MAX_DEPTH`] or
//! declares more values than its bytes can hold. Pure.

use std::collections::HashMap;

use apache_avro::schema::{Name, Schema};

/// Deepest nesting of records, arrays, maps, unions and named references accepted (each is a
/// level of apache-avro's recursion and of the JSON built from it: a recursive list of 60
/// records, 180 levels, overflowed a 2 MiB stack in a debug build; 20 records decode, tested
/// below).
pub const MAX_DEPTH: usize = 64;
/// Values a datum may declare per byte (beyond a small allowance): only zero-size values
/// (null, empty records, `fixed` of size 0) can outnumber the bytes.
const VALUES_PER_BYTE: u64 = 8;
const VALUES_ALLOWANCE: u64 = 1024;

struct Walk<'a> {
    data: &'a [u8],
    pos: usize,
    names: &'a HashMap<Name, Schema>,
    budget: u64,
}

/// Why the walk stopped early.
enum Stop {
    /// The data ends inside a value: the decoder says where, with the field's path.
    End,
    Refused(String),
}

type Step = Result<(), Stop>;

/// Whether `data` can be decoded as `schema` without unbounded work: `Err` says why not.
/// Data that is merely cut short passes: the decoder reports that better (with the path of
/// the field that is missing).
pub fn check(schema: &Schema, names: &HashMap<Name, Schema>, data: &[u8]) -> Result<(), String> {
    let mut w = Walk {
        data,
        pos: 0,
        names,
        budget: VALUES_ALLOWANCE + VALUES_PER_BYTE * data.len() as u64,
    };
    match w.value(schema, 0) {
        Ok(()) | Err(Stop::End) => Ok(()),
        Err(Stop::Refused(why)) => Err(why),
    }
}

impl Walk<'_> {
    fn take(&mut self, n: usize) -> Step {
        if self.data.len() - self.pos < n {
            return Err(Stop::End);
        }
        self.pos += n;
        Ok(())
    }

    /// A zig-zag varint (at most 10 bytes).
    fn long(&mut self) -> Result<i64, Stop> {
        let mut z: u64 = 0;
        for i in 0..10 {
            let Some(&b) = self.data.get(self.pos) else {
                return Err(Stop::End);
            };
            self.pos += 1;
            z |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok((z >> 1) as i64 ^ -((z & 1) as i64));
            }
        }
        Err(Stop::Refused(
            "Avro payload holds a number longer than 10 bytes".into(),
        ))
    }

    fn len(&mut self) -> Result<usize, Stop> {
        let n = self.long()?;
        usize::try_from(n)
            .map_err(|_| Stop::Refused(format!("Avro payload declares a negative length ({n})")))
    }

    /// One more value, from the datum's budget.
    fn count(&mut self, n: u64) -> Step {
        self.budget = self.budget.checked_sub(n).ok_or_else(|| {
            Stop::Refused(format!(
                "Avro payload declares more values than its {} bytes can hold",
                self.data.len()
            ))
        })?;
        Ok(())
    }

    fn value(&mut self, schema: &Schema, depth: usize) -> Step {
        if depth > MAX_DEPTH {
            return Err(Stop::Refused(format!(
                "Avro payload nests deeper than {MAX_DEPTH} levels"
            )));
        }
        self.count(1)?;
        match schema {
            Schema::Null => Ok(()),
            Schema::Boolean => self.take(1),
            Schema::Int
            | Schema::Long
            | Schema::Date
            | Schema::TimeMillis
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos
            | Schema::Enum(_) => self.long().map(|_| ()),
            Schema::Float => self.take(4),
            Schema::Double => self.take(8),
            Schema::Bytes | Schema::String | Schema::BigDecimal | Schema::Uuid => {
                let n = self.len()?;
                self.take(n)
            }
            Schema::Fixed(f) => self.take(f.size),
            Schema::Duration => self.take(12),
            Schema::Decimal(d) => self.value(&d.inner, depth + 1),
            Schema::Array(a) => self.blocks(|w| w.value(&a.items, depth + 1)),
            Schema::Map(m) => self.blocks(|w| {
                let n = w.len()?;
                w.take(n)?;
                w.value(&m.types, depth + 1)
            }),
            Schema::Union(u) => {
                let i = self.long()?;
                let branch = usize::try_from(i)
                    .ok()
                    .and_then(|i| u.variants().get(i))
                    .ok_or_else(|| {
                        Stop::Refused(format!(
                            "Avro payload names union branch {i}, which does not exist"
                        ))
                    })?;
                self.value(branch, depth + 1)
            }
            Schema::Record(r) => r
                .fields
                .iter()
                .try_for_each(|f| self.value(&f.schema, depth + 1)),
            Schema::Ref { name } => {
                let names = self.names;
                let target = names.get(name).ok_or_else(|| {
                    Stop::Refused(format!(
                        "the named type {} is not defined",
                        name.fullname(None)
                    ))
                })?;
                self.value(target, depth + 1)
            }
        }
    }

    /// Array or map blocks: a count (negative: followed by the block's size in bytes), its
    /// items, until a count of 0. Each declared item is paid for before any is read.
    fn blocks(&mut self, mut item: impl FnMut(&mut Self) -> Step) -> Step {
        loop {
            let n = self.long()?;
            if n == 0 {
                return Ok(());
            }
            if n < 0 {
                self.long()?;
            }
            let n = n.unsigned_abs();
            // Refused at once when the block declares more than the bytes can hold; each
            // item then pays for itself when read (not twice).
            self.count(n)?;
            self.budget += n;
            for _ in 0..n {
                item(self)?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(text: &str) -> (Schema, HashMap<Name, Schema>) {
        let s = Schema::parse_str(text).unwrap();
        let names = apache_avro::schema::ResolvedSchema::try_from(&s)
            .unwrap()
            .get_names()
            .iter()
            .map(|(n, s)| (n.clone(), (*s).clone()))
            .collect();
        (s, names)
    }

    #[test]
    fn a_count_its_bytes_cannot_hold_is_refused_before_anything_is_reserved() {
        let (s, n) = schema(r#"{"type":"array","items":"null"}"#);
        // 2^31 nulls declared in 5 bytes.
        let data = [0xfe, 0xff, 0xff, 0xff, 0x0f, 0x00];
        assert!(check(&s, &n, &data)
            .unwrap_err()
            .contains("more values than"));
        // A few nulls are fine.
        assert!(check(&s, &n, &[0x06, 0x00]).is_ok());
        let (m, n) = schema(r#"{"type":"map","values":"string"}"#);
        assert!(check(&m, &n, &[0xfe, 0xff, 0xff, 0xff, 0x07]).is_err());
    }

    #[test]
    fn a_recursive_schema_is_walked_only_so_deep() {
        let (s, n) = schema(
            r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},
                {"name":"next","type":["null","Node"]}]}"#,
        );
        // v = 0, next = branch 1 (Node) … 200 levels, then null.
        let mut deep = Vec::new();
        for _ in 0..200 {
            deep.extend_from_slice(&[0x00, 0x02]);
        }
        deep.extend_from_slice(&[0x00, 0x00]);
        assert!(check(&s, &n, &deep).unwrap_err().contains("deeper than"));
        let shallow = [0x02, 0x02, 0x04, 0x00];
        assert!(check(&s, &n, &shallow).is_ok());
    }

    #[test]
    fn a_list_of_twenty_records_and_an_array_of_many_nulls_decode() {
        let parsed = crate::messages::avro::parse(
            r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},
                {"name":"next","type":["null","Node"]}]}"#,
            &[],
        )
        .unwrap();
        let mut list = Vec::new();
        for _ in 0..20 {
            list.extend_from_slice(&[0x02, 0x02]);
        }
        list.extend_from_slice(&[0x02, 0x00]);
        let (v, _) = crate::messages::avro::decode(&parsed, &list).unwrap();
        let mut depth = 0;
        let mut at = &v;
        while let Some(next) = at.get("next").filter(|n| !n.is_null()) {
            at = next.get("Node").unwrap_or(next);
            depth += 1;
        }
        assert_eq!(depth, 20, "{v}");
        // 1 000 nulls in three bytes: zero-size values, within the allowance.
        let (a, n) = schema(r#"{"type":"array","items":"null"}"#);
        assert!(check(&a, &n, &[0xd0, 0x0f, 0x00]).is_ok());
    }

    #[test]
    fn data_cut_short_or_odd_is_an_error_not_a_panic() {
        let (s, n) = schema(
            r#"{"type":"record","name":"R","fields":[{"name":"s","type":"string"},
                {"name":"u","type":["null","long"]},{"name":"f","type":{"type":"fixed","name":"F","size":4}}]}"#,
        );
        // Cut short: passed on, for the decoder to say which field is missing.
        assert!(check(&s, &n, &[0x04, b'a']).is_ok());
        assert!(check(&s, &n, &[0x00, 0x08]).is_err(), "union branch 4");
        assert!(check(&s, &n, &[0x01]).is_err(), "negative length");
        assert!(check(&s, &n, &[0xff; 12]).is_err(), "an 11-byte varint");
        assert!(check(&s, &n, &[0x02, b'a', 0x02, 0x04, 1, 2, 3, 4]).is_ok());
    }
}
