//! Anonymous read on a GCS bucket: the IAM binding `allUsers` → `roles/storage.objectViewer`
//! (Google's documented way to make objects public; per-object ACLs are off on buckets with
//! uniform bucket-level access), through the JSON API with the bearer token object_store's
//! credential chain found. Public access prevention, when enforced, is refused by name, and
//! turned off with `--make-public`.

use object_store::gcp::GcpCredentialProvider;
use serde_json::{Value, json};

use crate::PublishError;

/// The role granted to `allUsers`.
pub(crate) const PUBLIC_ROLE: &str = "roles/storage.objectViewer";

/// One bucket's IAM calls.
pub(crate) struct GcsBucket {
    http: reqwest::Client,
    credentials: GcpCredentialProvider,
    bucket: String,
    /// `https://storage.googleapis.com/storage/v1/b/BUCKET`, or under `--endpoint`.
    url: String,
}

/// Whether a policy already grants anonymous object reads.
pub(crate) fn grants_public_read(policy: &Value) -> bool {
    policy["bindings"].as_array().is_some_and(|bindings| {
        bindings.iter().any(|b| {
            b["role"] == PUBLIC_ROLE
                && b["members"]
                    .as_array()
                    .is_some_and(|m| m.iter().any(|m| m == "allUsers"))
        })
    })
}

/// The policy with `allUsers` added to the public role's binding (created if absent).
pub(crate) fn with_public_read(mut policy: Value) -> Value {
    let Some(object) = policy.as_object_mut() else {
        return json!({"bindings": [{"role": PUBLIC_ROLE, "members": ["allUsers"]}]});
    };
    let bindings = object.entry("bindings").or_insert_with(|| json!([]));
    if !bindings.is_array() {
        *bindings = json!([]);
    }
    if let Some(list) = bindings.as_array_mut() {
        match list.iter_mut().find(|b| b["role"] == PUBLIC_ROLE) {
            Some(binding) => match binding["members"].as_array_mut() {
                Some(members) => members.push(json!("allUsers")),
                None => binding["members"] = json!(["allUsers"]),
            },
            None => list.push(json!({"role": PUBLIC_ROLE, "members": ["allUsers"]})),
        }
    }
    policy
}

impl GcsBucket {
    /// The bucket at the endpoint given or Google's.
    pub(crate) fn new(
        http: reqwest::Client,
        credentials: GcpCredentialProvider,
        bucket: &str,
        endpoint: Option<&str>,
    ) -> GcsBucket {
        let base = endpoint
            .unwrap_or("https://storage.googleapis.com")
            .trim_end_matches('/');
        GcsBucket {
            http,
            credentials,
            bucket: bucket.to_string(),
            url: format!("{base}/storage/v1/b/{bucket}"),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), PublishError> {
        let credential = self.credentials.get_credential().await.map_err(|e| {
            PublishError::unavailable(format!(
                "no usable Google credentials: {e}; set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or run with a workload identity"
            ))
        })?;
        let url = format!("{}{path}", self.url);
        let mut request = self
            .http
            .request(method, &url)
            .bearer_auth(&credential.bearer);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.map_err(|e| {
            PublishError::unavailable(format!(
                "{url}: cannot reach Google Cloud Storage: {}",
                crate::read_back::error_chain(&e)
            ))
        })?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap_or_default();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, value))
    }

    fn failure(&self, action: &str, status: u16, answer: &Value) -> PublishError {
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        let what = format!(
            "gs://{}: {action} failed: HTTP {status} {message}",
            self.bucket
        );
        match status {
            403 => PublishError::refused(format!(
                "{}; the credentials need storage.buckets.getIamPolicy and storage.buckets.setIamPolicy (roles/storage.admin)",
                what.trim_end()
            )),
            401 => PublishError::unavailable(format!("{}; check the credentials", what.trim_end())),
            _ => PublishError::unavailable(what.trim_end().to_string()),
        }
    }

    /// Whether public access prevention is enforced on the bucket.
    pub(crate) async fn public_access_prevented(&self) -> Result<bool, PublishError> {
        let (status, bucket) = self.send(reqwest::Method::GET, "", None).await?;
        if status != 200 {
            return Err(self.failure("get bucket", status, &bucket));
        }
        Ok(bucket["iamConfiguration"]["publicAccessPrevention"] == "enforced")
    }

    /// Turns public access prevention off (`inherited`: the organisation's policy decides).
    pub(crate) async fn allow_public_access(&self) -> Result<(), PublishError> {
        let body = json!({"iamConfiguration": {"publicAccessPrevention": "inherited"}});
        let (status, answer) = self.send(reqwest::Method::PATCH, "", Some(&body)).await?;
        if status != 200 {
            return Err(self.failure("turning off public access prevention", status, &answer));
        }
        Ok(())
    }

    /// The bucket's IAM policy.
    pub(crate) async fn iam_policy(&self) -> Result<Value, PublishError> {
        let (status, policy) = self.send(reqwest::Method::GET, "/iam", None).await?;
        if status != 200 {
            return Err(self.failure("getIamPolicy", status, &policy));
        }
        Ok(policy)
    }

    /// Writes the bucket's IAM policy (its etag guards against a concurrent change).
    pub(crate) async fn set_iam_policy(&self, policy: &Value) -> Result<(), PublishError> {
        let (status, answer) = self
            .send(reqwest::Method::PUT, "/iam", Some(policy))
            .await?;
        match status {
            200 => Ok(()),
            412 => Err(PublishError::refused(format!(
                "gs://{}: setIamPolicy refused (HTTP 412): public access prevention, set on the bucket or by the organisation policy constraints/storage.publicAccessPrevention, forbids granting allUsers (or the policy changed meanwhile: run again); for the bucket: --make-public or gcloud storage buckets update gs://{} --no-public-access-prevention",
                self.bucket, self.bucket
            ))),
            _ => Err(self.failure("setIamPolicy", status, &answer)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_all_users_once_and_keeps_other_bindings() {
        let policy = json!({"etag": "CAE=", "bindings": [
            {"role": "roles/storage.admin", "members": ["user:a@example.com"]},
            {"role": PUBLIC_ROLE, "members": ["group:g@example.com"]}
        ]});
        assert!(!grants_public_read(&policy));
        let public = with_public_read(policy);
        assert!(grants_public_read(&public));
        assert_eq!(public["etag"], "CAE=");
        assert_eq!(
            public["bindings"][0]["members"],
            json!(["user:a@example.com"])
        );
        assert_eq!(
            public["bindings"][1]["members"],
            json!(["group:g@example.com", "allUsers"])
        );
        assert!(grants_public_read(&with_public_read(json!({}))));
    }
}
