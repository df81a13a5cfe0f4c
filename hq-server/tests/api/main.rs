//! The API through the real router (and, in `server`, a real server on port 0).

mod accounts;
mod analysis;
mod audit;
mod authorization;
mod branches_and_tills;
mod brands;
mod catalog;
mod cli;
mod complaints;
mod coupon_capture;
mod coupons;
mod daily_job;
mod errors_and_openapi;
mod helpers;
mod member_pages;
mod members;
mod migrate;
mod migrations;
mod no_minting;
mod pending_refunds;
mod pgbouncer;
mod processes;
mod promotions;
mod server;
mod sync;
mod trust;
