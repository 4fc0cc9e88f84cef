//! mailadmin: the Mail Administration Center of a mail-hosting provider.
pub mod authz;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod enforcement;
pub mod entity;
pub mod intake;
pub mod metrics;
pub mod notices;
pub mod policy;
pub mod services;
pub mod startup;
pub mod telemetry;
pub mod web;
