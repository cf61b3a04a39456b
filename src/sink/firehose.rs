//! Amazon Data Firehose: `PutRecordBatch`, and the pre-flight description of the delivery stream.

use aws_sdk_firehose::primitives::Blob;
use aws_sdk_firehose::types::Record;
use aws_sdk_firehose::Client;

use super::aws::{classify, AwsOptions, Entry, ErrorClass, Preflight, RequestError, Service, SetupError};
use super::limits::{FIREHOSE_MAX_RECORDS, FIREHOSE_MAX_RECORD_BYTES, FIREHOSE_MAX_REQUEST_BYTES};
use super::Batch;

/// What pre-flight learned about the delivery stream.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DeliveryStreamInfo {
    /// Its name.
    pub name: String,
    /// `DirectPut` or `KinesisStreamAsSource`.
    pub source: String,
    /// `ACTIVE`, `CREATING`, …
    pub status: String,
}

/// A Firehose delivery stream to put records into.
pub struct Firehose {
    client: Client,
    name: String,
    conf: aws_config::SdkConfig,
}

impl Firehose {
    /// Connect, check credentials, and describe the delivery stream.
    ///
    /// # Errors
    /// Unknown delivery stream, access denied, endpoint unreachable, no credentials or region.
    pub async fn connect(
        opts: &AwsOptions,
        name: String,
        preflight: Preflight,
    ) -> Result<(Firehose, Option<DeliveryStreamInfo>, Option<String>), SetupError> {
        let conf = super::aws::load(opts).await?;
        let client = Client::new(&conf);
        let (info, warning) = preflight
            .describe(describe(&client, &name, &super::aws::endpoint_of(&conf, "firehose")))
            .await?;
        Ok((Firehose { client, name, conf }, info, warning))
    }
}

async fn describe(client: &Client, name: &str, endpoint: &str) -> Result<DeliveryStreamInfo, SetupError> {
    let name = name.to_string();
    {
        let described = client
            .describe_delivery_stream()
            .delivery_stream_name(&name)
            .send()
            .await;
        let info = match described {
            Ok(out) => out
                .delivery_stream_description()
                .map(|d| DeliveryStreamInfo {
                    name: d.delivery_stream_name().to_string(),
                    source: d.delivery_stream_type().as_str().to_string(),
                    status: d.delivery_stream_status().as_str().to_string(),
                })
                .unwrap_or_else(|| DeliveryStreamInfo {
                    name: name.clone(),
                    ..Default::default()
                }),
            Err(e) => {
                let e = classify(&e);
                match e.code.as_str() {
                    // The service answered but its description lacks fields the SDK requires
                    // (moto leaves some out): the delivery stream exists, which is what matters here.
                    "transport:response" => DeliveryStreamInfo { name: name.clone(), source: "unknown".into(), status: "unknown".into() },
                    "ResourceNotFoundException" => return Err(SetupError::NotFound(format!(
                        "--delivery-stream: `{name}` does not exist in this region and account (ResourceNotFoundException); check --delivery-stream and --region"
                    ))),
                    "AccessDeniedException" => return Err(SetupError::AccessDenied(format!(
                        "--delivery-stream: access denied describing `{name}`; the credentials need firehose:DescribeDeliveryStream and firehose:PutRecordBatch"
                    ))),
                    "transport:dispatch" | "transport:timeout" => return Err(SetupError::Unreachable {
                        service: "Firehose",
                        endpoint: endpoint.to_string(),
                        cause: e.message,
                    }),
                    code => return Err(SetupError::Other(format!("describing the delivery stream `{name}` failed: {code}: {}", e.message))),
                }
            }
        };
        Ok(info)
    }
}

impl Firehose {
    /// The SDK configuration it was built with (for reading the destination back).
    pub fn sdk_config(&self) -> &aws_config::SdkConfig {
        &self.conf
    }
}

impl Service for Firehose {
    const MAX_RECORDS: usize = FIREHOSE_MAX_RECORDS;
    const MAX_REQUEST_BYTES: usize = FIREHOSE_MAX_REQUEST_BYTES;
    const MAX_RECORD_BYTES: usize = FIREHOSE_MAX_RECORD_BYTES;

    fn size(&self, batch: &Batch, i: usize) -> usize {
        batch.record(i).len()
    }

    async fn put(&self, batch: &Batch, which: &[u32]) -> Result<Vec<Entry>, RequestError> {
        let mut records = Vec::with_capacity(which.len());
        for &i in which {
            let r = Record::builder()
                .data(Blob::new(batch.record(i as usize).to_vec()))
                .build()
                .map_err(|e| RequestError {
                    code: "sdk:construction".into(),
                    class: ErrorClass::Fatal,
                    message: e.to_string(),
                })?;
            records.push(r);
        }
        let out = self
            .client
            .put_record_batch()
            .delivery_stream_name(&self.name)
            .set_records(Some(records))
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(entries(&out))
    }
}

/// What became of each record of a `PutRecordBatch` response, in request order (Firehose names
/// no shards; an empty error code counts as accepted).
pub fn entries(out: &aws_sdk_firehose::operation::put_record_batch::PutRecordBatchOutput) -> Vec<Entry> {
    out.request_responses()
        .iter()
        .map(|r| Entry::of(r.error_code(), r.error_message(), None))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_firehose::operation::put_record_batch::PutRecordBatchOutput;
    use aws_sdk_firehose::types::PutRecordBatchResponseEntry;

    #[test]
    fn put_record_batch_entries_keep_order_and_codes() {
        let out = PutRecordBatchOutput::builder()
            .failed_put_count(1)
            .request_responses(PutRecordBatchResponseEntry::builder().record_id("a").build())
            .request_responses(
                PutRecordBatchResponseEntry::builder()
                    .error_code("ServiceUnavailableException")
                    .error_message("Slow down.")
                    .build(),
            )
            .request_responses(PutRecordBatchResponseEntry::builder().error_code("").build())
            .build()
            .expect("valid output");
        assert_eq!(
            entries(&out),
            vec![
                Entry::Ok { shard: None },
                Entry::Failed {
                    code: "ServiceUnavailableException".into(),
                    message: "Slow down.".into(),
                },
                Entry::Ok { shard: None },
            ]
        );
    }
}
