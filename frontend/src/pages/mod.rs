//! One module per screen.

pub mod alerts;
pub mod broker;
pub mod brokers;
pub mod group;
pub mod groups;
pub mod health;
pub mod messages;
pub mod overview;
pub mod topic;
pub mod topics;
