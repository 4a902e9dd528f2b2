//! What kwi copies of Go and OpenBao, byte for byte, so that `kwi serve` reads requests and
//! words its answers as OpenBao does. Each file names what it copies:
//!
//! - `base64`: Go's `encoding/base64` decoder (`StdEncoding`, `RawURLEncoding`), lenient as it is;
//! - `fmt`: Go's `fmt` verbs `%v` and `%q` for decoded JSON values, and `strconv.Quote`;
//! - `jose`: go-jose's reading of a compact JWS and of its header, with its error texts;
//! - `pem`: Go's `pem.Decode` and OpenBao's `certutil.ParsePublicKeyPEM`, for
//!   `jwt_validation_pubkeys`;
//! - `strconv`: Go's `strconv.ParseInt`;
//! - `time`: Go's `time.ParseDuration` and `Duration.String`, Vault's
//!   `parseutil.ParseDurationSecond`, and the short form OpenBao's TTL warnings print.
//!
//! Vault's rules themselves (what a login accepts) are not here: they live in kwi-jose
//! (`VaultRules`) and in the login pipeline; only the wording and the Go readings are.

pub(crate) mod base64;
pub(crate) mod fmt;
// Public for the jws_verify fuzz target (fuzz/), which reads tokens as the login does.
pub mod jose;
pub(crate) mod pem;
pub(crate) mod strconv;
pub(crate) mod time;
