//! One integration-test binary (one link on a 2-core machine); a module per area.
mod helpers;

mod authz_matrix;
mod browser;
mod companies;
