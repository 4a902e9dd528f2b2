//! The claims reader: no input may panic, and whatever kwi types (values, identity, the first
//! claim of the wrong type) is what a plain serde_json reading of the same object gives
//! (`crates/kwi-jose/tests/claims_reference`, shared with the claims typing test). Anything kwi
//! accepts, serde_json must accept too.
#![no_main]

use kwi_jose::Claims;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

#[path = "../../crates/kwi-jose/tests/claims_reference/mod.rs"]
mod claims_reference;

fuzz_target!(|data: &[u8]| {
    if let Ok(claims) = Claims::parse(data) {
        let _ = claims.raw();
        let _ = claims.service_account();
    }
    if let Some(read) = claims_reference::read(data) {
        let map: Map<String, Value> =
            serde_json::from_slice(data).expect("kwi read claims that serde_json refuses");
        assert_eq!(read, claims_reference::expected(&map));
    }
});
