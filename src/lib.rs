//! Minh Bạch: anonymous, encrypted anti-corruption reporting with deadlines, commendations and a
//! tamper-evident ledger. See `DESIGN.md` (`docs/architecture.md`) for the shape of the code.
//!
//! Dependencies point one way: `web` → `app` → `store` + `domain` + `crypto`; `main` and `demo` → `app`;
//! `store` → `domain`; nothing but this root imports `web`; `app`, `store`, `domain` and `crypto` know
//! nothing of HTTP, and `domain` and `crypto` nothing of SQL or the async runtime (`.ci/layout` checks it).

//!
//! The `server` feature (on by default) brings everything but the pure core: without it only `crypto`,
//! `domain` and `json` are built, for the fuzz targets.

#[cfg(feature = "server")]
pub mod app;
#[cfg(feature = "server")]
pub mod config;
pub mod crypto;
#[cfg(feature = "server")]
pub mod demo;
pub mod domain;
pub mod evidence;
pub mod json;
#[cfg(feature = "server")]
pub mod setup;
#[cfg(feature = "server")]
pub mod store;
#[cfg(feature = "server")]
pub mod web;

#[cfg(feature = "server")]
use rocket::figment::Figment;
#[cfg(feature = "server")]
use rocket::{Build, Rocket};

#[cfg(feature = "server")]
pub use config::{Settings, SetupError};

#[cfg(feature = "server")]
/// Builds the application from a figment (see [`config::figment`]; tests start from [`config::base`]): prepares the data directory and the
/// secret key, then assembles routes, templates, fairings and the database stage. The database is
/// connected and migrated when the instance ignites.
pub fn rocket(figment: Figment) -> Result<Rocket<Build>, SetupError> {
    let settings: Settings = figment.extract().map_err(Box::new)?;
    // Staff session cookies carry each member's unsealed private key, sealed under the server's secret: it
    // is the one in data/secret.key, never one a setting could slip in (issue #11, D1).
    if figment
        .find_value("secret_key")
        .is_ok_and(|key| !is_rockets_zero_default(&key))
    {
        return Err(SetupError::Deployment(
            "a secret_key is configured (ROCKET_SECRET_KEY or secret_key in Rocket.toml): Minh Bạch keeps its \
             own in the data directory (secret.key); remove the setting"
                .into(),
        ));
    }
    settings.install_deployment()?;
    let secret = config::prepare_data_dir(&settings.data_dir)?;
    let figment =
        figment
            .merge(("secret_key", hex::encode(*secret.0)))
            .merge(rocket::figment::providers::Serialized::global(
                "limits.data-form",
                settings.multipart_limit(),
            ));
    web::mount(rocket::custom(figment), settings, secret)
}

#[cfg(feature = "server")]
/// Rocket's own default `secret_key` serializes as 32 zero bytes: present in every figment, set by no one.
fn is_rockets_zero_default(key: &rocket::figment::value::Value) -> bool {
    key.as_array()
        .is_some_and(|bytes| bytes.iter().all(|b| b.to_num().and_then(|n| n.to_u128()) == Some(0)))
}
