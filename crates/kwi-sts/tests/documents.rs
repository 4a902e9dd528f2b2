//! Golden files of the documents kwi's STS emits: the AssumeRoleWithWebIdentity answer, an error,
//! and the GetCallerIdentity answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kwi_jose::StsRefusal;
use kwi_sts::credentials::Credentials;
use kwi_sts::response::response_xml;
use kwi_sts::sessions::{Session, Sessions};
use kwi_sts::{Issued, StsError};

#[test]
fn assume_role_with_web_identity_response() {
    let issued = Issued {
        assumed_role_arn: "arn:aws:sts::111122223333:assumed-role/app/botocore-session-1".into(),
        assumed_role_id: "AROAEXAMPLEEXAMPLE01:botocore-session-1".into(),
        subject: "system:serviceaccount:default:app".into(),
        provider: "https://oidc.example.com".into(),
        audience: "sts.amazonaws.com".into(),
        credentials: Credentials {
            access_key_id: "ASIAEXAMPLEEXAMPLE01".into(),
            secret_access_key: "secret/with+characters&<escaped>".into(),
            session_token: "token".into(),
            expiration: 1_800_003_600,
        },
    };
    insta::assert_snapshot!("assume_role_response", response_xml(&issued, "req-1"));
}

#[test]
fn error_response() {
    let e = StsError::from_refusal(&StsRefusal::UnknownProvider {
        iss: "https://oidc.example.com/<x>".into(),
    });
    insta::assert_snapshot!("error_response", e.to_xml("req-2"));
}

#[test]
fn get_caller_identity_response() {
    let sessions = Sessions::default();
    sessions.insert(
        "ASIAEXAMPLEEXAMPLE01",
        Session {
            arn: "arn:aws:sts::111122223333:assumed-role/app/s".into(),
            user_id: "AROAEXAMPLEEXAMPLE01:s".into(),
            account: "111122223333".into(),
            expiration: 100,
        },
    );
    let xml = sessions
        .caller_identity(
            Some("AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEEXAMPLE01/20261206/us-east-1/sts/aws4_request"),
            1,
            "req-3",
        )
        .unwrap();
    insta::assert_snapshot!("get_caller_identity_response", xml);
}
