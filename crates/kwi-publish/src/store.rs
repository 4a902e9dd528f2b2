//! The object stores, built with each cloud's own credential chain (environment, workload and
//! instance identity) by object_store, and the two operations publishing needs: read what is
//! there, write a document with its Content-Type and Cache-Control.

use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{MicrosoftAzure, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorage, GoogleCloudStorageBuilder};
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, Attributes, ClientOptions, GetOptions, ObjectStore, PutOptions, PutPayload,
    RetryConfig,
};

use crate::PublishError;
use crate::site::Document;

/// What an object holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Existing {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its Content-Type, if the store keeps one.
    pub content_type: Option<String>,
    /// Its Cache-Control, if the store keeps one.
    pub cache_control: Option<String>,
}

/// Client settings shared by the clouds: bounded time, few retries (a network that is down is
/// reported in seconds, not minutes).
pub(crate) fn client_options(endpoint: Option<&str>) -> ClientOptions {
    ClientOptions::new()
        .with_timeout(Duration::from_secs(30))
        .with_connect_timeout(Duration::from_secs(5))
        .with_allow_http(endpoint.is_some_and(|e| e.starts_with("http://")))
}

fn retry() -> RetryConfig {
    RetryConfig {
        max_retries: 2,
        retry_timeout: Duration::from_secs(15),
        ..RetryConfig::default()
    }
}

/// An error of object_store, said for the object it concerned.
pub(crate) fn store_error(what: &str, err: object_store::Error) -> PublishError {
    match err {
        object_store::Error::PermissionDenied { .. } => PublishError::refused(format!(
            "{what}: permission denied ({err}); the credentials need read and write access to it"
        )),
        object_store::Error::Unauthenticated { .. } => PublishError::unavailable(format!(
            "{what}: not authenticated ({err}); check the credentials"
        )),
        object_store::Error::NotFound { .. } => PublishError::refused(format!(
            "{what}: not found ({err}); does the bucket or container exist? (--create-bucket creates an S3 bucket)"
        )),
        other => PublishError::unavailable(format!("{what}: {other}")),
    }
}

/// An S3 bucket's store, the region it is in, and the endpoint used when not AWS's.
pub(crate) struct S3Store {
    /// The object store.
    pub store: AmazonS3,
    /// The region (given, from the environment, or asked of S3).
    pub region: String,
    /// `--endpoint`, or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL as the AWS CLI reads them.
    pub endpoint: Option<String>,
}

/// The S3 store of a bucket.
pub(crate) async fn s3_store(
    bucket: &str,
    region: Option<&str>,
    endpoint: Option<&str>,
) -> Result<S3Store, PublishError> {
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    let mut profile = crate::aws_profile::profile_from_files()?;
    if let Some(role) = &profile.assume {
        let sts_region = region
            .map(str::to_string)
            .or_else(|| profile.region.clone())
            .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()));
        let http = crate::publish::http_client()?;
        let assumed =
            crate::aws_assume_role::assume_role(role, sts_region.as_deref(), &http).await?;
        profile.key_id = Some(assumed.key_id);
        profile.secret = Some(assumed.secret);
        profile.token = Some(assumed.token);
    }
    if let (Some(key_id), Some(secret)) = (profile.key_id, profile.secret) {
        builder = builder
            .with_access_key_id(key_id)
            .with_secret_access_key(secret);
        if let Some(token) = profile.token {
            builder = builder.with_token(token);
        }
    }
    if let Some(endpoint) = endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    let endpoint = builder
        .get_config_value(&AmazonS3ConfigKey::S3Endpoint)
        .or_else(|| builder.get_config_value(&AmazonS3ConfigKey::Endpoint))
        .filter(|e| !e.is_empty());
    if let Some(endpoint) = &endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    builder = builder
        .with_retry(retry())
        .with_client_options(client_options(endpoint.as_deref()));
    let region = region.map(str::to_string).or_else(|| {
        builder
            .get_config_value(&AmazonS3ConfigKey::Region)
            .or_else(|| builder.get_config_value(&AmazonS3ConfigKey::DefaultRegion))
            .filter(|r| !r.is_empty())
            .or(profile.region)
    });
    let region = match region {
        Some(region) => region,
        None if endpoint.is_some() => "us-east-1".to_string(),
        // The bucket's region, from S3 itself (an anonymous HEAD), as the AWS CLI finds it.
        None => object_store::aws::resolve_bucket_region(bucket, &client_options(None))
            .await
            .map_err(|e| {
                PublishError::unavailable(format!(
                    "s3://{bucket}: cannot find its region ({e}); give --region or set AWS_REGION"
                ))
            })?,
    };
    let store = builder
        .with_region(&region)
        .build()
        .map_err(|e| store_error(&format!("s3://{bucket}"), e))?;
    Ok(S3Store {
        store,
        region,
        endpoint,
    })
}

/// The Azure Blob store of a container.
pub(crate) fn azure_store(
    account: &str,
    container: &str,
    endpoint: Option<&str>,
) -> Result<MicrosoftAzure, PublishError> {
    let mut builder = MicrosoftAzureBuilder::from_env()
        .with_account(account)
        .with_container_name(container)
        .with_retry(retry())
        .with_client_options(client_options(endpoint));
    if let Some(endpoint) = endpoint {
        builder = builder
            .with_endpoint(endpoint.to_string())
            .with_allow_http(endpoint.starts_with("http://"));
    }
    builder.build().map_err(|e| {
        PublishError::unavailable(format!(
            "az://{account}/{container}: {e}; set AZURE_STORAGE_ACCOUNT_KEY, or run with a workload or managed identity"
        ))
    })
}

/// The GCS store of a bucket, its credentials checked first (a missing one is said plainly).
pub(crate) async fn gcs_store(
    bucket: &str,
    endpoint: Option<&str>,
) -> Result<GoogleCloudStorage, PublishError> {
    let mut builder = GoogleCloudStorageBuilder::from_env()
        .with_bucket_name(bucket)
        .with_retry(retry())
        .with_client_options(client_options(endpoint));
    if let Some(endpoint) = endpoint {
        builder = builder.with_config(object_store::gcp::GoogleConfigKey::BaseUrl, endpoint);
    }
    let store = builder.build().map_err(|e| {
        PublishError::unavailable(format!(
            "gs://{bucket}: {e}; set GOOGLE_APPLICATION_CREDENTIALS or run with a workload identity"
        ))
    })?;
    store.credentials().get_credential().await.map_err(|e| {
        PublishError::unavailable(format!(
            "no usable Google credentials: {e}; set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or run with a workload identity"
        ))
    })?;
    Ok(store)
}

/// What the object holds now (`None`: there is no such object).
pub(crate) async fn current(
    store: &dyn ObjectStore,
    key: &str,
    shown: &str,
) -> Result<Option<Existing>, PublishError> {
    let result = match store
        .get_opts(&ObjectPath::from(key), GetOptions::default())
        .await
    {
        Ok(result) => result,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(store_error(shown, e)),
    };
    let attribute = |a: &Attribute| result.attributes.get(a).map(|v| v.to_string());
    let content_type = attribute(&Attribute::ContentType);
    let cache_control = attribute(&Attribute::CacheControl);
    let bytes = result.bytes().await.map_err(|e| store_error(shown, e))?;
    Ok(Some(Existing {
        bytes: bytes.to_vec(),
        content_type,
        cache_control,
    }))
}

/// Writes a document with its Content-Type and Cache-Control.
pub(crate) async fn put(
    store: &dyn ObjectStore,
    key: &str,
    document: &Document,
    cache_control: &str,
    shown: &str,
) -> Result<(), PublishError> {
    let attributes = Attributes::from_iter([
        (Attribute::ContentType, document.content_type.to_string()),
        (Attribute::CacheControl, cache_control.to_string()),
    ]);
    let options = PutOptions {
        attributes,
        ..PutOptions::default()
    };
    store
        .put_opts(
            &ObjectPath::from(key),
            PutPayload::from(document.bytes.clone()),
            options,
        )
        .await
        .map(|_| ())
        .map_err(|e| store_error(shown, e))
}
