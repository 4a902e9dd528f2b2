//! kwi-auth: a Vault-compatible JWT auth method.
//!
//! Mounts, their config (trusted keys) and roles as OpenBao's JWT auth method reads and writes
//! them, the login pipeline with OpenBao's checks, order and messages, self-contained client
//! tokens, an embedded store, and the HTTP API that `kwi serve` serves.
#![forbid(unsafe_code)]

mod api;
mod client_token;
mod config;
pub mod data_dir;
mod declared;
mod error;
pub mod go;
mod login;
pub mod metrics;
mod openbao;
pub mod remote;
mod role;
mod store;

pub use api::{AppState, CheckedKeys, check_keys, router};
pub use client_token::ClientTokens;
pub use config::{JwksPair, JwtConfig};
pub use declared::{CheckedMount, Declared, DeclaredMount, write as write_declared};
pub use error::ApiError;
pub use login::{KeySource, LoginAuth, LoginError, LoginRequest, login};
pub use role::Role;
pub use store::Store;
