//! Reports in S3: `s3://bucket/key` addresses, and the few S3 calls kdg makes with them — check
//! a bucket before a run, upload a report after it, list and read the reports under a prefix
//! for `kdg report merge`. `--verify-s3` reads through the same client.
//!
//! The client comes from the same SDK configuration as the sinks (`sink::aws::load`: region,
//! profile, `--endpoint-url`), with path-style addressing (what moto, MinIO and LocalStack
//! answer; AWS too) and the SDK's standard retries, since an upload is one request kdg does not
//! count. Errors carry the AWS error code and message, never the request's signature.

use aws_config::retry::RetryConfig;
use aws_config::SdkConfig;

/// Most attempts of one S3 request: a transient 5xx or a dropped connection is retried.
pub const ATTEMPTS: u32 = 3;

/// An S3 object address, `s3://bucket/key`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct S3Url {
    /// The bucket.
    pub bucket: String,
    /// The object key (for a prefix, what the keys start with; may be empty).
    pub key: String,
}

impl std::fmt::Display for S3Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

impl S3Url {
    /// Whether `text` is meant as an S3 address (it starts with `s3://`).
    pub fn is_s3(text: &str) -> bool {
        text.starts_with("s3://")
    }

    /// Parse `s3://bucket/key` naming one object.
    ///
    /// # Errors
    /// Not `s3://`, no bucket, or no key.
    pub fn object(text: &str) -> Result<S3Url, S3Error> {
        let url = S3Url::prefix(text)?;
        if url.key.is_empty() || url.key.ends_with('/') {
            return Err(S3Error::BadUrl(format!(
                "`{text}` names no object: give s3://BUCKET/KEY, e.g. s3://{}/runs/r1/0.json",
                url.bucket
            )));
        }
        Ok(url)
    }

    /// Parse `s3://bucket/` or `s3://bucket/prefix`: every key under it.
    ///
    /// # Errors
    /// Not `s3://`, or no bucket.
    pub fn prefix(text: &str) -> Result<S3Url, S3Error> {
        let rest = text
            .strip_prefix("s3://")
            .ok_or_else(|| S3Error::BadUrl(format!("`{text}` is not an s3://BUCKET/KEY address")))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(S3Error::BadUrl(format!("`{text}` has no bucket: give s3://BUCKET/KEY")));
        }
        Ok(S3Url {
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }
}

/// An S3 address that is malformed, or a request that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S3Error {
    /// The address is not `s3://bucket/key`.
    #[error("{0}")]
    BadUrl(String),
    /// The bucket is not there.
    #[error("the bucket `{0}` does not exist (create it, or fix the name)")]
    NoBucket(String),
    /// A request failed: what was attempted, the AWS error code and message.
    #[error("{what} failed: {code}{message}")]
    Request {
        /// E.g. `uploading s3://b/k`.
        what: String,
        /// The AWS error code, or `transport:…`.
        code: String,
        /// `: ` and the service's message, when it sent one.
        message: String,
    },
}

impl S3Error {
    fn request<E: aws_sdk_s3::error::ProvideErrorMetadata>(
        what: String,
        e: &aws_sdk_s3::error::SdkError<E>,
    ) -> S3Error {
        let e = crate::sink::aws::classify(e);
        S3Error::Request {
            what,
            code: e.code,
            message: if e.message.is_empty() {
                String::new()
            } else {
                format!(": {}", e.message)
            },
        }
    }
}

/// The S3 client for `conf` (as `sink::aws::load` returns it).
pub fn client(conf: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(conf)
            .force_path_style(true)
            .retry_config(RetryConfig::standard().with_max_attempts(ATTEMPTS))
            .build(),
    )
}

/// Check that `bucket` exists and answers these credentials (HeadBucket).
///
/// # Errors
/// [`S3Error::NoBucket`], or the failed request (access denied, endpoint unreachable).
pub async fn check_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), S3Error> {
    match s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|se| se.is_not_found()) => Err(S3Error::NoBucket(bucket.into())),
        Err(e) => Err(S3Error::request(format!("checking the bucket `{bucket}`"), &e)),
    }
}

/// Upload `body` to `url`.
///
/// # Errors
/// The failed request.
pub async fn put(s3: &aws_sdk_s3::Client, url: &S3Url, body: Vec<u8>, content_type: &str) -> Result<(), S3Error> {
    s3.put_object()
        .bucket(&url.bucket)
        .key(&url.key)
        .content_type(content_type)
        .body(body.into())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| S3Error::request(format!("uploading {url}"), &e))
}

/// The keys under `prefix`, in the order S3 lists them (by key).
///
/// # Errors
/// The failed request ([`S3Error::NoBucket`] for a missing bucket).
pub async fn list(s3: &aws_sdk_s3::Client, prefix: &S3Url) -> Result<Vec<String>, S3Error> {
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(&prefix.bucket)
            .prefix(&prefix.key)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(se) if se.is_no_such_bucket() => S3Error::NoBucket(prefix.bucket.clone()),
                _ => S3Error::request(format!("listing {prefix}"), &e),
            })?;
        keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        token = page.next_continuation_token().map(str::to_string);
        if token.is_none() {
            return Ok(keys);
        }
    }
}

/// The bytes of the object at `url`.
///
/// # Errors
/// The failed request.
pub async fn get(s3: &aws_sdk_s3::Client, url: &S3Url) -> Result<Vec<u8>, S3Error> {
    let out = s3
        .get_object()
        .bucket(&url.bucket)
        .key(&url.key)
        .send()
        .await
        .map_err(|e| S3Error::request(format!("reading {url}"), &e))?;
    let body = out.body.collect().await.map_err(|e| S3Error::Request {
        what: format!("reading {url}"),
        code: "transport:response".into(),
        message: format!(": {e}"),
    })?;
    Ok(body.into_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_need_a_bucket_and_a_key_prefixes_only_a_bucket() {
        let ok = S3Url::object("s3://b/runs/r1/0.json").unwrap();
        assert_eq!((ok.bucket.as_str(), ok.key.as_str()), ("b", "runs/r1/0.json"));
        assert_eq!(ok.to_string(), "s3://b/runs/r1/0.json");
        for bad in [
            "s3://",
            "s3:///k",
            "s3://b",
            "s3://b/",
            "s3://b/dir/",
            "b/k",
            "S3://b/k",
        ] {
            assert!(S3Url::object(bad).is_err(), "{bad}");
        }
        assert_eq!(S3Url::prefix("s3://b").unwrap().key, "");
        assert_eq!(S3Url::prefix("s3://b/runs/").unwrap().key, "runs/");
        assert!(matches!(S3Url::prefix("s3:///runs/"), Err(S3Error::BadUrl(m)) if m.contains("no bucket")));
    }
}
