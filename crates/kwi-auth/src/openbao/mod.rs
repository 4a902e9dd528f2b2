//! OpenBao's own readings (Go's standard library is in `go/`), copied so that `kwi serve` reads
//! requests as OpenBao does. Each file names what it copies:
//!
//! - `weak_decode`: request fields as OpenBao's framework decodes them
//!   (`sdk/framework/field_data.go` with mapstructure's weak typing, `sdk/helper/parseutil`).

pub(crate) mod weak_decode;
