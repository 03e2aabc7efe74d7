//! One module per screen.

pub mod brokers;
pub mod group;
pub mod groups;
pub mod overview;
pub mod topic;
pub mod topics;
