//! The integration suite: one binary, a module per feature. Every test gets a fresh database: a SQLite
//! file in its own data directory, or, when `TEST_DATABASE_URL` names a PostgreSQL server, a database of
//! its own created there.

#[path = "../common/ci.rs"]
mod ci;
mod helpers;
#[path = "../common/smtp.rs"]
mod smtp;

mod cli;
mod codes;
mod commendations;
mod demo;
mod evidence;
mod faults;
mod fuzz;
mod guessing;
mod load;
mod notify;
mod pages;
mod privacy;
mod queue_pages;
mod ratings;
mod reporter_api;
mod retention;
mod routes;
mod staff_access;
mod staff_audit;
mod staff_casework;
mod staff_pages;
mod staff_session;
mod stats;
mod transparency;
mod xss;
