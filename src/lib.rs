//! Minh Bạch: anonymous, encrypted anti-corruption reporting with deadlines, commendations and a
//! tamper-evident ledger. See `DESIGN.md` (`docs/architecture.md`) for the shape of the code.
//!
//! Dependencies point one way: `web` → `app` → `store` + `domain` + `crypto`; `main` and `demo` → `app`;
//! `store` → `domain`; nothing but this root imports `web`; `app`, `store`, `domain` and `crypto` know
//! nothing of HTTP, and `domain` and `crypto` nothing of SQL or the async runtime (`.ci/layout` checks it).

pub mod app;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod domain;
pub mod setup;
pub mod store;
pub mod web;

use rocket::figment::providers::Serialized;
use rocket::figment::Figment;
use rocket::{Build, Rocket};

pub use config::{Settings, SetupError};

/// Builds the application from a figment (see [`config::figment`]; tests start from [`config::base`]): prepares the data directory and the
/// secret key, then assembles routes, templates, fairings and the database stage. The database is
/// connected and migrated when the instance ignites.
pub fn rocket(figment: Figment) -> Result<Rocket<Build>, SetupError> {
    let settings: Settings = figment.extract().map_err(Box::new)?;
    settings.install_deployment()?;
    let secret = config::prepare_data_dir(&settings.data_dir)?;
    let figment = figment.merge(Serialized::default("secret_key", hex::encode(*secret.0)));
    web::mount(rocket::custom(figment), settings, secret)
}
