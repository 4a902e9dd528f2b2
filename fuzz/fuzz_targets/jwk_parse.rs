//! JWK and JWKS parsing: no input may panic, and what parses re-encodes to the same key.
#![no_main]

use kwi_jose::{Jwk, Jwks, jwk_from_key};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(jwk) = Jwk::parse(text)
        && let Ok(key) = jwk.to_key()
    {
        let again = jwk_from_key(&key, None, true).to_key().expect("a key kwi wrote must read back");
        assert_eq!(again.public(), key.public());
    }
    if let Ok(jwks) = Jwks::parse(text) {
        let _ = jwks.to_keys();
    }
});
