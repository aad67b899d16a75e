//! The rules of the domain: categories of corrupt acts, what a report must contain, the case lifecycle and
//! the legal clock. Pure code: no HTTP, no SQL.

pub mod calendar;
pub mod category;
pub mod claim;
pub mod clock;
pub mod commendation;
pub mod counted;
pub mod deadlines;
pub mod entry;
pub mod figures;
pub mod ids;
pub mod money;
pub mod notice;
pub mod org;
pub mod policy;
pub mod rating;
pub mod report;
pub mod retention;
pub mod reward;
pub mod routing;
pub mod staff;
pub mod stats;
pub mod status;

pub use category::Category;
pub use entry::EntryKind;
pub use policy::Stage;
pub use report::{FieldError, FieldErrors, NewReport, RawReport};
pub use status::Status;
