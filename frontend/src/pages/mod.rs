//! One module per screen.

pub mod alerts;
pub mod audit;
pub mod broker;
pub mod brokers;
pub mod group;
pub mod groups;
pub mod health;
pub mod identity;
pub mod manage;
pub mod messages;
pub mod overview;
pub mod schemas;
pub mod tokens;
pub mod topic;
pub mod topics;
