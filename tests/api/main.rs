//! One integration-test binary (one link on a 2-core machine); a module per area.
mod helpers;
mod suspension_state;
mod webdriver;

mod admins;
mod audit;
mod auth;
mod authz_matrix;
mod browser;
mod browser_suspension;
mod cli;
mod companies;
mod complaint_pages;
mod domains;
mod intake;
mod intake_batches;
mod limits_pages;
mod lookup;
mod mail_dovecot;
mod mail_views;
mod mailboxes;
mod notices;
mod policy;
mod policy_limits;
mod policy_postfix;
mod suspension_races;
mod suspensions;
