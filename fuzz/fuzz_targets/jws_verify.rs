//! Compact JWS parsing and verification with every profile, and go-jose's reading of a token
//! (the Vault login's): no input may panic.
#![no_main]

use std::sync::OnceLock;

use kwi_auth::go::jose::{go_jose_compact, go_jose_header_error};
use kwi_jose::{
    Key, KeySet, KubernetesRules, VaultRules, VerifyOptions, decode_unverified, parse_keys,
    peek_alg,
};
use libfuzzer_sys::fuzz_target;

const RSA: &[u8] = include_bytes!("../../tests/data/kubernetes/rsa-public.pem");
const EC: &[u8] = include_bytes!("../../tests/data/kubernetes/ec-p256-public.pem");

fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| {
        let keys: Vec<Key> = [RSA, EC].iter().flat_map(|k| parse_keys(k).unwrap_or_default()).collect();
        KeySet::with_kubernetes_kids(&keys).unwrap_or_else(|_| KeySet::new([]).unwrap())
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    let _ = decode_unverified(token, 1 << 16);
    if let Ok(verified) = keys().verify(token, &VerifyOptions::default()) {
        let _ = KubernetesRules::default().validate(&verified.claims, 1_700_000_000);
        let _ = VaultRules::default().validate(&verified, 1_700_000_000);
        let _ = verified.claims.select(&["sub", "kubernetes.io", ""]);
        let _ = verified.claims.raw();
    }
    for trim in [true, false] {
        if let Ok(read) = go_jose_compact(token, trim) {
            let _ = keys().verify(&read, &VerifyOptions::default());
            let _ = go_jose_header_error(&read);
            let _ = peek_alg(&read);
        }
    }
});
