//! The pure part of management operations (issue 13): where offsets move, which names and
//! numbers are acceptable, what a purge removes. The I/O is in `kafka::admin` (the requests)
//! and `http::manage` (plans, previews, execution, audit).

pub mod offsets;
pub mod topics;
