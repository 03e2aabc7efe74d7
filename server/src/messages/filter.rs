//! Server-side filters over decoded (and masked) records: substring and regular-expression
//! tests on key, value and headers, and a CEL expression (Common Expression Language, the
//! `cel` crate) over `key`, `value` (parsed JSON when it is JSON), `headers`, `partition`,
//! `offset`, `timestamp` (unix ms) and `size`. All given tests must hold. Pure.

use std::sync::Arc;

use regex::Regex;

use super::decode::Decoded;

/// The filter as the request states it (strings not yet compiled).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterSpec {
    pub key_contains: Option<String>,
    pub value_contains: Option<String>,
    pub header_contains: Option<String>,
    pub key_regex: Option<String>,
    pub value_regex: Option<String>,
    pub header_regex: Option<String>,
    pub expr: Option<String>,
}

/// A record as filters see it.
pub struct View<'a> {
    pub key: Option<&'a Decoded>,
    pub value: Option<&'a Decoded>,
    pub headers: &'a [(String, Option<Decoded>)],
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
    pub size: u64,
}

pub struct Filter {
    key_contains: Option<String>,
    value_contains: Option<String>,
    header_contains: Option<String>,
    key_regex: Option<Regex>,
    value_regex: Option<Regex>,
    header_regex: Option<Regex>,
    expr: Option<Expr>,
}

struct Expr {
    program: cel::Program,
    /// The root scope (standard library and string extensions); each record gets a child.
    root: cel::Context<'static, 'static>,
    /// Which record variables the expression reads (only those are converted per record).
    uses_key: bool,
    uses_value: bool,
    uses_headers: bool,
    /// partition, offset, timestamp, size.
    uses_coordinates: [bool; 4],
}

/// Longest accepted expression or pattern.
const MAX_SOURCE: usize = 4_096;

fn regex(name: &str, src: &Option<String>) -> Result<Option<Regex>, String> {
    let Some(src) = src.as_deref().filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if src.len() > MAX_SOURCE {
        return Err(format!("{name} is longer than {MAX_SOURCE} characters"));
    }
    regex::RegexBuilder::new(src)
        .size_limit(1 << 20)
        .build()
        .map(Some)
        .map_err(|e| format!("{name} is not a valid regular expression: {e}"))
}

/// A CEL expression costs at most one comprehension (`all`, `exists`, `exists_one`, `map`,
/// `filter`) per record: nested ones multiply, and one evaluation cannot be interrupted.
fn check_cost(src: &str) -> Result<(), String> {
    let comprehensions = ["all", "exists", "exists_one", "map", "filter"]
        .iter()
        .map(|m| src.matches(&format!(".{m}(")).count())
        .sum::<usize>();
    if comprehensions > 1 {
        return Err(format!(
            "expr uses {comprehensions} list macros (all, exists, exists_one, map, filter); at most one is allowed per expression"
        ));
    }
    Ok(())
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.clone().filter(|s| !s.is_empty())
}

impl Filter {
    /// Compile the filter; `None` when it tests nothing. The error says which part is wrong.
    pub fn compile(spec: &FilterSpec) -> Result<Option<Filter>, String> {
        let expr = match spec
            .expr
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(src) if src.len() > MAX_SOURCE => {
                return Err(format!("expr is longer than {MAX_SOURCE} characters"))
            }
            Some(src) => {
                check_cost(src)?;
                // The standard library only: the strings extension's replace/join can build
                // strings of any size from a short expression.
                let env = cel::Env::stdlib();
                let program = env
                    .compile(src)
                    .map_err(|e| format!("expr is not valid CEL: {e}"))?;
                let refs = program.references();
                let (uses_key, uses_value, uses_headers) = (
                    refs.has_variable("key"),
                    refs.has_variable("value"),
                    refs.has_variable("headers"),
                );
                let uses_coordinates =
                    ["partition", "offset", "timestamp", "size"].map(|v| refs.has_variable(v));
                Some(Expr {
                    program,
                    root: cel::Context::with_env(Arc::new(env)),
                    uses_key,
                    uses_value,
                    uses_headers,
                    uses_coordinates,
                })
            }
        };
        let f = Filter {
            key_contains: non_empty(&spec.key_contains),
            value_contains: non_empty(&spec.value_contains),
            header_contains: non_empty(&spec.header_contains),
            key_regex: regex("key_regex", &spec.key_regex)?,
            value_regex: regex("value_regex", &spec.value_regex)?,
            header_regex: regex("header_regex", &spec.header_regex)?,
            expr,
        };
        let empty = f.key_contains.is_none()
            && f.value_contains.is_none()
            && f.header_contains.is_none()
            && f.key_regex.is_none()
            && f.value_regex.is_none()
            && f.header_regex.is_none()
            && f.expr.is_none();
        Ok((!empty).then_some(f))
    }

    /// Whether the record passes. An expression that cannot be evaluated on this record
    /// (a missing field, a type mismatch) is an `Err`; the scan counts it as not matching.
    pub fn matches(&self, v: &View) -> Result<bool, String> {
        fn text(d: Option<&Decoded>) -> Option<&str> {
            d.map(|d| d.text.as_str())
        }
        if let Some(s) = &self.key_contains {
            if !text(v.key).is_some_and(|t| t.contains(s.as_str())) {
                return Ok(false);
            }
        }
        if let Some(s) = &self.value_contains {
            if !text(v.value).is_some_and(|t| t.contains(s.as_str())) {
                return Ok(false);
            }
        }
        if let Some(re) = &self.key_regex {
            if !text(v.key).is_some_and(|t| re.is_match(t)) {
                return Ok(false);
            }
        }
        if let Some(re) = &self.value_regex {
            if !text(v.value).is_some_and(|t| re.is_match(t)) {
                return Ok(false);
            }
        }
        if let Some(s) = &self.header_contains {
            let hit = v.headers.iter().any(|(k, d)| {
                k.contains(s.as_str()) || d.as_ref().is_some_and(|d| d.text.contains(s.as_str()))
            });
            if !hit {
                return Ok(false);
            }
        }
        if let Some(re) = &self.header_regex {
            let hit = v
                .headers
                .iter()
                .any(|(k, d)| re.is_match(k) || d.as_ref().is_some_and(|d| re.is_match(&d.text)));
            if !hit {
                return Ok(false);
            }
        }
        match &self.expr {
            None => Ok(true),
            Some(e) => e.eval(v),
        }
    }
}

fn cel_of(d: Option<&Decoded>) -> cel::Value {
    match d {
        None => cel::Value::Null,
        Some(d) => match &d.json {
            Some(j) => cel_json(j),
            None => cel::Value::String(Arc::new(d.text.clone())),
        },
    }
}

/// JSON as CEL values (integers stay integers, so `value.n == 42` holds).
fn cel_json(v: &serde_json::Value) -> cel::Value {
    use serde_json::Value as J;
    match v {
        J::Null => cel::Value::Null,
        J::Bool(b) => cel::Value::Bool(*b),
        J::Number(n) => n
            .as_i64()
            .map(cel::Value::Int)
            .or_else(|| n.as_u64().map(cel::Value::UInt))
            .unwrap_or_else(|| cel::Value::Float(n.as_f64().unwrap_or(f64::NAN))),
        J::String(s) => cel::Value::String(Arc::new(s.clone())),
        J::Array(a) => cel::Value::List(Arc::new(a.iter().map(cel_json).collect())),
        J::Object(o) => o
            .iter()
            .map(|(k, v)| (k.clone(), cel_json(v)))
            .collect::<std::collections::HashMap<String, cel::Value>>()
            .into(),
    }
}

impl Expr {
    fn eval(&self, v: &View) -> Result<bool, String> {
        let mut ctx = self.root.new_inner_scope();
        if self.uses_key {
            ctx.add_variable_from_value("key", cel_of(v.key));
        }
        if self.uses_value {
            ctx.add_variable_from_value("value", cel_of(v.value));
        }
        if self.uses_headers {
            let map: std::collections::HashMap<String, cel::Value> = v
                .headers
                .iter()
                .map(|(k, d)| {
                    let val = d.as_ref().map_or(cel::Value::Null, |d| {
                        cel::Value::String(Arc::new(d.text.clone()))
                    });
                    (k.clone(), val)
                })
                .collect();
            ctx.add_variable_from_value("headers", map);
        }
        let [partition, offset, timestamp, size] = self.uses_coordinates;
        if partition {
            ctx.add_variable_from_value("partition", v.partition as i64);
        }
        if offset {
            ctx.add_variable_from_value("offset", v.offset);
        }
        if timestamp {
            ctx.add_variable_from_value(
                "timestamp",
                v.timestamp_ms.map_or(cel::Value::Null, cel::Value::Int),
            );
        }
        if size {
            ctx.add_variable_from_value("size", v.size as i64);
        }
        match self.program.execute(&ctx) {
            Ok(cel::Value::Bool(b)) => Ok(b),
            Ok(other) => Err(format!("the expression gave {other:?}, not true or false")),
            Err(e) => Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::decode::{decode, Decoding};

    fn view<'a>(
        key: &'a Decoded,
        value: &'a Decoded,
        headers: &'a [(String, Option<Decoded>)],
    ) -> View<'a> {
        View {
            key: Some(key),
            value: Some(value),
            headers,
            partition: 2,
            offset: 17,
            timestamp_ms: Some(1_700_000_000_000),
            size: 40,
        }
    }

    fn run(spec: FilterSpec) -> Result<bool, String> {
        let key = decode(b"order-42", Decoding::Auto, None);
        let value = decode(
            br#"{"id":42,"status":"paid","lines":[{"sku":"A"},{"sku":"B"}]}"#,
            Decoding::Auto,
            None,
        );
        let headers = vec![(
            "trace".to_string(),
            Some(decode(b"abc-123", Decoding::Auto, None)),
        )];
        Filter::compile(&spec)?
            .unwrap()
            .matches(&view(&key, &value, &headers))
    }

    fn expr(e: &str) -> Result<bool, String> {
        run(FilterSpec {
            expr: Some(e.into()),
            ..Default::default()
        })
    }

    #[test]
    fn expressions_see_json_fields_headers_and_coordinates() {
        assert_eq!(expr("value.id == 42 && value.status == 'paid'"), Ok(true));
        assert_eq!(expr("value.lines.exists(l, l.sku == 'B')"), Ok(true));
        assert_eq!(expr("key.startsWith('order-') && partition == 2"), Ok(true));
        assert_eq!(expr("headers.trace.matches('^abc')"), Ok(true));
        assert_eq!(expr("offset > 17 || timestamp < 1700000000000"), Ok(false));
        assert_eq!(expr("size == 40"), Ok(true));
        assert_eq!(
            expr("value.status.matches('^pa') && size(value.lines) == 2"),
            Ok(true)
        );
    }

    #[test]
    fn costly_expressions_are_refused() {
        let e = expr("value.lines.all(l, value.lines.exists(m, m.sku == l.sku))").unwrap_err();
        assert!(e.contains("at most one"), "{e}");
        let e = expr("'a'.replace('a', 'aa') == 'aa'").unwrap_err();
        assert!(!e.is_empty(), "no string-building extensions");
    }

    #[test]
    fn evaluation_problems_are_errors_not_matches() {
        assert!(expr("value.missing == 1").is_err());
        assert!(expr("value.id").unwrap_err().contains("not true or false"));
    }

    #[test]
    fn contains_and_regex_tests_are_anded() {
        let spec = |f: fn(&mut FilterSpec)| {
            let mut s = FilterSpec::default();
            f(&mut s);
            run(s)
        };
        assert_eq!(spec(|s| s.key_contains = Some("42".into())), Ok(true));
        assert_eq!(
            spec(|s| s.value_contains = Some("\"paid\"".into())),
            Ok(true)
        );
        assert_eq!(spec(|s| s.header_contains = Some("trace".into())), Ok(true));
        assert_eq!(
            spec(|s| s.header_regex = Some(r"^\w+-\d+$".into())),
            Ok(true)
        );
        assert_eq!(
            spec(|s| {
                s.key_contains = Some("42".into());
                s.value_regex = Some("refunded".into());
            }),
            Ok(false)
        );
    }

    #[test]
    fn bad_filters_say_what_is_wrong_and_empty_ones_are_none() {
        let e = Filter::compile(&FilterSpec {
            value_regex: Some("(".into()),
            ..Default::default()
        })
        .err()
        .unwrap();
        assert!(
            e.starts_with("value_regex is not a valid regular expression"),
            "{e}"
        );
        let e = Filter::compile(&FilterSpec {
            expr: Some("value.id ==".into()),
            ..Default::default()
        })
        .err()
        .unwrap();
        assert!(e.starts_with("expr is not valid CEL"), "{e}");
        let empty = FilterSpec {
            key_contains: Some(String::new()),
            expr: Some("  ".into()),
            ..Default::default()
        };
        assert!(Filter::compile(&empty).unwrap().is_none());
    }
}
