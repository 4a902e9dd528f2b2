//! The HTTP layer in process: requests with inline JSON bodies through the router, for routing
//! ambiguities, URL escapes, method and token ordering and mount rules (the OpenBao differential
//! suite covers the answers' content end to end).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower_service::Service;

use super::{AppState, router};
use crate::{ClientTokens, Store};

const ROOT: &str = "test-root";

struct Api {
    router: axum::Router,
    _dir: tempfile::TempDir,
}

impl Api {
    fn new() -> Api {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("kwi.redb")).expect("store");
        let key = kwi_jose::generate(kwi_jose::KeySpec::Ec(kwi_jose::Curve::P256)).expect("key");
        let tokens = ClientTokens::new(key).expect("tokens");
        let state = Arc::new(AppState::new(store, tokens, ROOT.into()));
        Api {
            router: router(state),
            _dir: dir,
        }
    }

    /// Sends a request (with the root token unless `token` is `None`): status and JSON body.
    async fn call(
        &mut self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("X-Vault-Token", token);
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let response = self
            .router
            .call(request.body(body).expect("request"))
            .await
            .expect("infallible");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    async fn root(&mut self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call(method, path, body, Some(ROOT)).await
    }
}

fn role() -> Value {
    json!({"role_type": "jwt", "user_claim": "sub", "bound_audiences": ["vault"]})
}

#[tokio::test]
async fn a_path_that_reads_two_ways_goes_to_the_mount_that_exists() {
    let mut api = Api::new();
    // Mount `jwt`, role `login`: `auth/jwt/role/login` is that role, not a login on `jwt/role`.
    assert_eq!(
        api.root("POST", "/v1/sys/auth/jwt", Some(json!({"type": "jwt"})))
            .await
            .0,
        204
    );
    assert_eq!(
        api.root("POST", "/v1/auth/jwt/role/login", Some(role()))
            .await
            .0,
        204
    );
    let (status, body) = api.root("GET", "/v1/auth/jwt/role/login", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["user_claim"], "sub");
    // Mount `jwt/role` would hold it too, but mounts never nest: refused.
    let (status, body) = api
        .root(
            "POST",
            "/v1/sys/auth/jwt/role",
            Some(json!({"type": "jwt"})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0], "path is already in use at jwt/");
}

#[tokio::test]
async fn escaped_paths_are_routed_as_decoded() {
    let mut api = Api::new();
    assert_eq!(
        api.root(
            "POST",
            "/v1/sys/auth/caf%C3%A9",
            Some(json!({"type": "jwt"}))
        )
        .await
        .0,
        204
    );
    assert_eq!(
        api.root("POST", "/v1/auth/café/role/app", Some(role()))
            .await
            .0,
        204
    );
    assert_eq!(
        api.root("GET", "/v1/auth/caf%C3%A9/role/app", None).await.0,
        200
    );
    let (status, body) = api.root("GET", "/v1/auth/%zz/role/app", None).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0], "invalid URL escape \"%zz\" in the path");
}

#[tokio::test]
async fn an_unsupported_method_is_405_before_the_token_is_checked() {
    let mut api = Api::new();
    api.root("POST", "/v1/sys/auth/jwt", Some(json!({"type": "jwt"})))
        .await;
    // Without a token: a method the path does not take is 405, a method it takes is 403.
    assert_eq!(
        api.call("PATCH", "/v1/auth/jwt/config", None, None).await.0,
        405
    );
    assert_eq!(
        api.call("GET", "/v1/auth/jwt/config", None, None).await.0,
        403
    );
    assert_eq!(
        api.call("PATCH", "/v1/auth/jwt/role/app", None, None)
            .await
            .0,
        405
    );
    assert_eq!(
        api.call("GET", "/v1/auth/jwt/role/app", None, None).await.0,
        403
    );
    assert_eq!(
        api.call("GET", "/v1/auth/jwt/login", None, None).await.0,
        405
    );
}

#[tokio::test]
async fn roles_are_listed_by_list_or_query() {
    let mut api = Api::new();
    api.root("POST", "/v1/sys/auth/jwt", Some(json!({"type": "jwt"})))
        .await;
    assert_eq!(
        api.root("LIST", "/v1/auth/jwt/role", None).await.0,
        404,
        "no roles yet"
    );
    for name in ["b", "a"] {
        api.root("POST", &format!("/v1/auth/jwt/role/{name}"), Some(role()))
            .await;
    }
    let (status, body) = api.root("LIST", "/v1/auth/jwt/role", None).await;
    assert_eq!(
        (status, body["data"]["keys"].clone()),
        (StatusCode::OK, json!(["a", "b"]))
    );
    let (status, body) = api.root("GET", "/v1/auth/jwt/role?list=true", None).await;
    assert_eq!(
        (status, body["data"]["keys"].clone()),
        (StatusCode::OK, json!(["a", "b"]))
    );
    assert_eq!(api.root("GET", "/v1/auth/jwt/role", None).await.0, 405);
}

#[tokio::test]
async fn role_names_outside_vaults_names_match_no_route() {
    let mut api = Api::new();
    api.root("POST", "/v1/sys/auth/jwt", Some(json!({"type": "jwt"})))
        .await;
    let (status, body) = api
        .root("POST", "/v1/auth/jwt/role/-bad", Some(role()))
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        body["errors"][0],
        "1 error occurred:\n\t* unsupported path\n\n"
    );
}

#[tokio::test]
async fn unknown_paths_and_mounts_are_404_with_vaults_text() {
    let mut api = Api::new();
    let (status, body) = api.root("GET", "/v1/auth/nowhere/role/app", None).await;
    assert_eq!(status, 404);
    assert_eq!(
        body["errors"][0],
        "no handler for route \"auth/nowhere/role/app\". route entry not found."
    );
    assert_eq!(api.root("GET", "/elsewhere", None).await.0, 404);
}

#[tokio::test]
async fn unknown_paths_are_403_for_anyone_but_root_as_on_vault() {
    let mut api = Api::new();
    for path in ["/v1/auth/nowhere/login", "/v1/sys/nope", "/v1/elsewhere"] {
        let (status, body) = api.call("POST", path, None, None).await;
        assert_eq!(status, 403, "{path}");
        assert_eq!(body["errors"][0], "permission denied", "{path}");
        let (status, _) = api.call("GET", path, None, Some("not-a-token")).await;
        assert_eq!(status, 403, "{path}");
    }
}

#[tokio::test]
async fn mount_rules() {
    let mut api = Api::new();
    for (path, message) in [
        ("token", "path is already in use at token/"),
        (
            "a//b",
            "\"a//b\": a mount path has no empty, \".\" or \"..\" parts",
        ),
        (
            "a/../b",
            "\"a/../b\": a mount path has no empty, \".\" or \"..\" parts",
        ),
    ] {
        let (status, body) = api
            .root(
                "POST",
                &format!("/v1/sys/auth/{path}"),
                Some(json!({"type": "jwt"})),
            )
            .await;
        assert_eq!(
            (status, body["errors"][0].clone()),
            (StatusCode::BAD_REQUEST, json!(message)),
            "{path}"
        );
    }
    let (status, body) = api
        .root("POST", "/v1/sys/auth/kv", Some(json!({"type": "kv"})))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0],
        "kwi serves the jwt auth method only; \"kv\" is not available"
    );
    assert_eq!(
        api.root(
            "POST",
            "/v1/sys/auth/k8s/prod",
            Some(json!({"type": "jwt"}))
        )
        .await
        .0,
        204
    );
    let (_, body) = api.root("GET", "/v1/sys/auth", None).await;
    assert_eq!(body["data"]["k8s/prod/"]["type"], "jwt");
    assert_eq!(body["data"]["token/"]["type"], "token");
}

#[tokio::test]
async fn a_login_without_a_config_says_so() {
    let mut api = Api::new();
    api.root("POST", "/v1/sys/auth/jwt", Some(json!({"type": "jwt"})))
        .await;
    let (status, body) = api
        .call(
            "POST",
            "/v1/auth/jwt/login",
            Some(json!({"role": "app", "jwt": "x"})),
            None,
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0], "could not load configuration");
}
