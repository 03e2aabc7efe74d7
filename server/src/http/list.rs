//! List parameters shared by every list endpoint: `q` (substring filter), `sort`, `order`,
//! `limit`, `offset`, validated with a 400 for anything out of range.

use std::cmp::Ordering;

use kafscope_api::Page;
use serde::Deserialize;

use super::error::ApiError;

pub const MAX_LIMIT: usize = 1000;
const DEFAULT_LIMIT: usize = 100;

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub q: Option<String>,
    pub sort: Option<String>,
    pub order: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// A value to sort by: text or a number where `None` (unknown) sorts last.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    Text(String),
    Num(Option<f64>),
}

fn cmp_keys(a: &SortKey, b: &SortKey) -> Ordering {
    match (a, b) {
        (SortKey::Text(x), SortKey::Text(y)) => x.cmp(y),
        (SortKey::Num(x), SortKey::Num(y)) => match (x, y) {
            // A total order even with NaN: sorting with a comparator that is not one may panic.
            (Some(x), Some(y)) => x.total_cmp(y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
        _ => Ordering::Equal,
    }
}

/// What a list item offers to the list machinery.
pub trait Listable {
    /// Sort fields this item type accepts; the first is the default.
    const SORT_FIELDS: &'static [&'static str];
    fn sort_key(&self, field: &str) -> SortKey;
    /// Text `q` is matched against (case-insensitive substring).
    fn search_text(&self) -> &str;
}

pub fn num<T: Into<f64>>(v: Option<T>) -> SortKey {
    SortKey::Num(v.map(Into::into))
}

impl ListQuery {
    /// Filter, sort and page `items`.
    pub fn apply<T: Listable + Clone>(
        &self,
        items: impl Iterator<Item = T>,
    ) -> Result<Page<T>, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::BadRequest(format!(
                "limit must be between 1 and {MAX_LIMIT}, got {limit}"
            )));
        }
        let sort = self.sort.as_deref().unwrap_or(T::SORT_FIELDS[0]);
        if !T::SORT_FIELDS.contains(&sort) {
            return Err(ApiError::BadRequest(format!(
                "cannot sort by '{sort}': use one of {}",
                T::SORT_FIELDS.join(", ")
            )));
        }
        let desc = match self.order.as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "order must be asc or desc, got '{other}'"
                )))
            }
        };
        let needle = self
            .q
            .as_deref()
            .map(str::to_lowercase)
            .filter(|q| !q.is_empty());
        let mut matched: Vec<T> = items
            .filter(|i| {
                needle
                    .as_deref()
                    .is_none_or(|n| i.search_text().to_lowercase().contains(n))
            })
            .collect();
        let nulls_last = |a: &SortKey, b: &SortKey| -> Ordering {
            let o = cmp_keys(a, b);
            let null_a = matches!(a, SortKey::Num(None));
            let null_b = matches!(b, SortKey::Num(None));
            if desc && !(null_a || null_b) {
                o.reverse()
            } else {
                o
            }
        };
        matched.sort_by(|a, b| {
            nulls_last(&a.sort_key(sort), &b.sort_key(sort))
                .then_with(|| a.search_text().cmp(b.search_text()))
        });
        let total = matched.len();
        let offset = self.offset.unwrap_or(0);
        let items = matched.into_iter().skip(offset).take(limit).collect();
        Ok(Page { total, items })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    struct Item(String, Option<i64>);
    impl Listable for Item {
        const SORT_FIELDS: &'static [&'static str] = &["name", "lag"];
        fn sort_key(&self, field: &str) -> SortKey {
            match field {
                "lag" => num(self.1.map(|v| v as f64)),
                _ => SortKey::Text(self.0.clone()),
            }
        }
        fn search_text(&self) -> &str {
            &self.0
        }
    }

    fn items() -> Vec<Item> {
        vec![
            Item("orders".into(), Some(5)),
            Item("payments".into(), None),
            Item("Order-dlq".into(), Some(50)),
        ]
    }

    #[test]
    fn filters_case_insensitively_sorts_and_pages() {
        let q = ListQuery {
            q: Some("ORDER".into()),
            sort: Some("lag".into()),
            order: Some("desc".into()),
            ..Default::default()
        };
        let page = q.apply(items().into_iter()).unwrap();
        assert_eq!(page.total, 2);
        assert_eq!(page.items[0].0, "Order-dlq");

        let q = ListQuery {
            limit: Some(1),
            offset: Some(1),
            ..Default::default()
        };
        let page = q.apply(items().into_iter()).unwrap();
        assert_eq!(page.total, 3);
        assert_eq!(page.items, vec![Item("orders".into(), Some(5))]);
    }

    #[test]
    fn unknown_values_sort_last_in_both_orders() {
        for order in ["asc", "desc"] {
            let q = ListQuery {
                sort: Some("lag".into()),
                order: Some(order.into()),
                ..Default::default()
            };
            let page = q.apply(items().into_iter()).unwrap();
            assert_eq!(page.items[2].1, None, "order={order}");
        }
    }

    #[test]
    fn bad_parameters_are_rejected() {
        for q in [
            ListQuery {
                limit: Some(0),
                ..Default::default()
            },
            ListQuery {
                limit: Some(5000),
                ..Default::default()
            },
            ListQuery {
                sort: Some("size".into()),
                ..Default::default()
            },
            ListQuery {
                order: Some("up".into()),
                ..Default::default()
            },
        ] {
            assert!(matches!(
                q.apply(items().into_iter()),
                Err(ApiError::BadRequest(_))
            ));
        }
    }
}
