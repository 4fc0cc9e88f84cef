//! Demo data for `serve --demo` and `seed-demo`, made through the same services as real data.
pub mod complaints;
pub mod forwarding;
pub mod seed;
pub mod sending;
