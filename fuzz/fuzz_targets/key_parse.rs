//! Key parsing in every format (PEM, DER, OpenSSH, JWK): no input may panic, and every key read
//! re-encodes to SPKI and reads back as the same public key.
#![no_main]

use kwi_jose::{parse_keys, spki_der};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(keys) = parse_keys(data) {
        for key in keys {
            let spki = spki_der(&key).expect("a parsed key must encode");
            let back = parse_keys(&spki).expect("SPKI kwi wrote must read back");
            assert_eq!(back[0].public(), key.public());
        }
    }
});
