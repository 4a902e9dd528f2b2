//! The claims scanner: no input may panic, and it accepts exactly what the strict serde_json
//! path accepts (the raw view is only built for accepted claims).
#![no_main]

use kwi_jose::Claims;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(claims) = Claims::parse(data) {
        let _ = claims.raw();
        let _ = claims.service_account();
    }
});
