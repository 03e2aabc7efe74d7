//! The Schema Registry browser: subjects, their versions, compatibility, and what changes
//! them. Also the line diff the UI shows between two versions (pure, shared).

use serde::{Deserialize, Serialize};

/// Every subject of a cluster's registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubjectList {
    /// The registry's address, without credentials.
    pub registry: String,
    /// The global compatibility level; `null` when it could not be read.
    pub compatibility: Option<String>,
    pub subjects: Vec<SubjectSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubjectSummary {
    pub subject: String,
    /// `topic_name` (`<topic>-key|value`), `topic_record_name` (`<topic>-<record>`) or
    /// `record_name` (a record's full name, used by any topic).
    pub strategy: String,
    /// Topics whose records use the subject, as its name tells.
    pub topics: Vec<SubjectTopic>,
    /// Only soft-deleted versions are left (a permanent delete removes it for good).
    pub deleted: bool,
    /// Latest version, its schema id and type, when the registry lists them in one call.
    pub latest_version: Option<i64>,
    pub latest_id: Option<u32>,
    pub kind: Option<String>,
}

/// A topic that uses a subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubjectTopic {
    pub topic: String,
    /// `key` or `value`; `null` when the strategy does not say (topic_record_name).
    pub part: Option<String>,
    /// The topic is in the cluster now (a subject can outlive its topic).
    pub exists: bool,
}

/// One subject with all of its versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubjectDetail {
    pub subject: String,
    pub strategy: String,
    pub topics: Vec<SubjectTopic>,
    /// The subject's own level; `null` when the global level applies.
    pub compatibility: Option<String>,
    /// The level that applies to it.
    pub effective_compatibility: Option<String>,
    /// Oldest first; soft-deleted versions included and marked.
    pub versions: Vec<SchemaVersion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemaVersion {
    pub version: i64,
    pub id: u32,
    /// `AVRO`, `PROTOBUF` or `JSON`.
    pub kind: String,
    /// The schema text; Avro and JSON Schema pretty-printed (keys in their order).
    pub schema: String,
    pub references: Vec<SchemaReference>,
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemaReference {
    /// The name it is referenced by: a Protobuf import path, an Avro full name, a `$ref`.
    pub name: String,
    pub subject: String,
    pub version: i64,
}

/// A schema to test or register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewSchema {
    pub schema: String,
    /// `AVRO` (default), `PROTOBUF` or `JSON`.
    #[serde(default)]
    pub schema_type: Option<String>,
    #[serde(default)]
    pub references: Vec<SchemaReference>,
}

/// The registry's verdict on a new schema for a subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompatibilityCheck {
    pub compatible: bool,
    /// The level it was judged under.
    pub level: Option<String>,
    /// Why not, as the registry says it (empty when compatible or not told).
    pub messages: Vec<String>,
}

/// A registered schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Registered {
    pub subject: String,
    pub id: u32,
    /// The version it got (an identical schema keeps its earlier version).
    pub version: Option<i64>,
    pub audit_id: Option<i64>,
}

/// A compatibility level to set; `null` removes a subject's own level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompatibilityChange {
    pub level: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompatibilityChanged {
    pub subject: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub audit_id: Option<i64>,
}

/// What a delete removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemasDeleted {
    pub subject: String,
    pub versions: Vec<i64>,
    pub permanent: bool,
    pub audit_id: Option<i64>,
}

/// Compatibility levels the registry API knows.
pub const COMPATIBILITY_LEVELS: [&str; 7] = [
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
];

/// One row of a line diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
}

/// Cells of the comparison table [`diff_lines`] builds at most (n × m changed lines, 4 bytes
/// each: 16 MB).
pub const DIFF_MAX_CELLS: usize = 4_000_000;

/// The shortest edit from `a` to `b`, by lines (longest common subsequence); `None` when the
/// lines that differ are too many to compare ([`DIFF_MAX_CELLS`]).
pub fn diff_lines(a: &str, b: &str) -> Option<Vec<DiffLine>> {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    // Common prefix and suffix first: versions usually differ in a few lines.
    let pre = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suf = a[pre..]
        .iter()
        .rev()
        .zip(b[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    let (n, m) = (am.len(), bm.len());
    if (n + 1).saturating_mul(m + 1) > DIFF_MAX_CELLS {
        return None;
    }
    // lcs[i][j]: length of the LCS of am[i..] and bm[j..].
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * (m + 1) + j] = if am[i] == bm[j] {
                lcs[(i + 1) * (m + 1) + j + 1] + 1
            } else {
                lcs[(i + 1) * (m + 1) + j].max(lcs[i * (m + 1) + j + 1])
            };
        }
    }
    let mut out: Vec<DiffLine> = a[..pre]
        .iter()
        .map(|l| DiffLine::Same(l.to_string()))
        .collect();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && am[i] == bm[j] {
            out.push(DiffLine::Same(am[i].to_string()));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1]) {
            // Removed lines before the added ones that replace them.
            out.push(DiffLine::Removed(am[i].to_string()));
            i += 1;
        } else {
            out.push(DiffLine::Added(bm[j].to_string()));
            j += 1;
        }
    }
    out.extend(
        a[a.len() - suf..]
            .iter()
            .map(|l| DiffLine::Same(l.to_string())),
    );
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use DiffLine::*;

    #[test]
    fn diff_keeps_common_lines_and_marks_the_rest() {
        let a = "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3\n}";
        let b = "{\n  \"a\": 1,\n  \"b\": 20,\n  \"c\": 3,\n  \"d\": 4\n}";
        let d = diff_lines(a, b).unwrap();
        assert_eq!(
            d,
            vec![
                Same("{".into()),
                Same("  \"a\": 1,".into()),
                Removed("  \"b\": 2,".into()),
                Removed("  \"c\": 3".into()),
                Added("  \"b\": 20,".into()),
                Added("  \"c\": 3,".into()),
                Added("  \"d\": 4".into()),
                Same("}".into()),
            ]
        );
        // Every line of both sides is there once, in order.
        let left: Vec<&str> = d
            .iter()
            .filter_map(|l| match l {
                Same(t) | Removed(t) => Some(t.as_str()),
                Added(_) => None,
            })
            .collect();
        let right: Vec<&str> = d
            .iter()
            .filter_map(|l| match l {
                Same(t) | Added(t) => Some(t.as_str()),
                Removed(_) => None,
            })
            .collect();
        assert_eq!(left, a.lines().collect::<Vec<_>>());
        assert_eq!(right, b.lines().collect::<Vec<_>>());
        assert_eq!(d.iter().filter(|l| matches!(l, Same(_))).count(), 3);
    }

    #[test]
    fn diff_of_equal_empty_and_oversized_texts() {
        // A line moved: one removal, one addition, the rest common.
        assert_eq!(
            diff_lines("a\nb\nc", "b\nc\na").unwrap(),
            vec![
                Removed("a".into()),
                Same("b".into()),
                Same("c".into()),
                Added("a".into())
            ]
        );
        assert_eq!(
            diff_lines("x\ny", "x\ny").unwrap(),
            vec![Same("x".into()), Same("y".into())]
        );
        assert_eq!(diff_lines("", "a").unwrap(), vec![Added("a".into())]);
        assert_eq!(diff_lines("a", "").unwrap(), vec![Removed("a".into())]);
        // Long texts that differ in one line compare; thousands of changed lines do not.
        let long: String = (0..10_000).map(|i| format!("line {i}\n")).collect();
        let edited = long.replace("line 5000\n", "line 5000 changed\n");
        let d = diff_lines(&long, &edited).unwrap();
        assert_eq!(d.iter().filter(|l| !matches!(l, Same(_))).count(), 2);
        let other: String = (0..10_000).map(|i| format!("other {i}\n")).collect();
        assert!(diff_lines(&long, &other).is_none());
    }
}
