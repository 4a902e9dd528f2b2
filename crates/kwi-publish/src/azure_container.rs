//! Anonymous read on an Azure Blob container: its public access level set to `blob` (anonymous
//! reads of blobs, no listing), with Set Container ACL signed by object_store's Azure authorizer.
//! The account setting `allowBlobPublicAccess` can forbid it; that one is changed through Azure
//! Resource Manager, not the blob endpoint, so kwi names it and the command that changes it.

use object_store::azure::{AzureAuthorizer, AzureCredentialProvider};
use object_store::client::HttpRequestBody;

use crate::PublishError;

/// One container's access control calls.
pub(crate) struct AzureContainer {
    http: reqwest::Client,
    credentials: AzureCredentialProvider,
    account: String,
    container: String,
    /// `https://ACCOUNT.blob.core.windows.net/CONTAINER`, or `ENDPOINT/CONTAINER`.
    url: String,
}

/// The container's ACL: public access level and stored access policies (kept as they are).
pub(crate) struct ContainerAcl {
    /// `blob`, `container`, or `None` (private).
    pub public_access: Option<String>,
    signed_identifiers: Vec<u8>,
}

impl AzureContainer {
    /// The container at the endpoint given or Azure's.
    pub(crate) fn new(
        http: reqwest::Client,
        credentials: AzureCredentialProvider,
        account: &str,
        container: &str,
        endpoint: Option<&str>,
    ) -> AzureContainer {
        let account_url = match endpoint {
            Some(endpoint) => endpoint.trim_end_matches('/').to_string(),
            None => format!("https://{account}.blob.core.windows.net"),
        };
        AzureContainer {
            http,
            credentials,
            account: account.to_string(),
            container: container.to_string(),
            url: format!("{account_url}/{container}"),
        }
    }

    async fn send(
        &self,
        method: http::Method,
        public_access: Option<&str>,
        body: Vec<u8>,
    ) -> Result<reqwest::Response, PublishError> {
        let credential = self.credentials.get_credential().await.map_err(|e| {
            PublishError::unavailable(format!(
                "no usable Azure credentials: {e}; set AZURE_STORAGE_ACCOUNT_KEY, or run with a workload or managed identity"
            ))
        })?;
        let url = format!("{}?restype=container&comp=acl", self.url);
        let mut builder = http::Request::builder().method(method.clone()).uri(&url);
        if let Some(level) = public_access {
            builder = builder.header("x-ms-blob-public-access", level);
        }
        if !body.is_empty() {
            builder = builder
                .header("content-type", "application/xml")
                .header("content-length", body.len().to_string());
        }
        let mut request = builder
            .body(HttpRequestBody::from(body))
            .map_err(|e| PublishError::usage(format!("{url}: {e}")))?;
        AzureAuthorizer::new(&credential, &self.account)
            .try_authorize(&mut request)
            .map_err(|e| PublishError::unavailable(format!("cannot sign the request: {e}")))?;
        crate::signed_request::send(&self.http, request, "Azure Blob Storage").await
    }

    fn failure(&self, action: &str, status: u16, code: &str) -> PublishError {
        let what = format!(
            "az://{}/{}: {action} failed: HTTP {status} {code}",
            self.account, self.container
        );
        match code {
            "PublicAccessNotPermitted" => PublishError::refused(format!(
                "{what}: the storage account forbids anonymous access (its setting allowBlobPublicAccess is false, the default for new accounts); allow it with: az storage account update --name {} --allow-blob-public-access true (kwi cannot: it is an Azure Resource Manager setting), or serve the issuer with kwi issuer serve",
                self.account
            )),
            "AuthorizationPermissionMismatch" | "AuthorizationFailure" => {
                PublishError::refused(format!(
                    "{what}: not authorized; check AZURE_STORAGE_ACCOUNT_KEY or the identity (reading and setting the container's access level needs the account key or a role with Microsoft.Storage/storageAccounts/blobServices/containers/setAcl/action)"
                ))
            }
            _ => PublishError::unavailable(what),
        }
    }

    /// The container's ACL now.
    pub(crate) async fn acl(&self) -> Result<ContainerAcl, PublishError> {
        let response = self.send(http::Method::GET, None, Vec::new()).await?;
        let status = response.status().as_u16();
        let code = header(&response, "x-ms-error-code");
        let public_access =
            Some(header(&response, "x-ms-blob-public-access")).filter(|v| !v.is_empty());
        let body = response
            .bytes()
            .await
            .map(|b| b.to_vec())
            .unwrap_or_default();
        if status != 200 {
            return Err(self.failure("Get Container ACL", status, &code));
        }
        Ok(ContainerAcl {
            public_access,
            signed_identifiers: body,
        })
    }

    /// Sets the public access level to `blob`, keeping the stored access policies.
    pub(crate) async fn allow_anonymous_blob_reads(
        &self,
        acl: ContainerAcl,
    ) -> Result<(), PublishError> {
        let response = self
            .send(http::Method::PUT, Some("blob"), acl.signed_identifiers)
            .await?;
        let status = response.status().as_u16();
        if status != 200 {
            let code = header(&response, "x-ms-error-code");
            return Err(self.failure("Set Container ACL", status, &code));
        }
        Ok(())
    }
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}
