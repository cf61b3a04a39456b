//! `kdg tail` against kinesalite.

use std::collections::BTreeSet;

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;

use crate::common::*;

async fn put(client: &aws_sdk_kinesis::Client, stream: &str, from: usize, n: usize) {
    for chunk in (from..from + n).collect::<Vec<_>>().chunks(500) {
        let entries = chunk
            .iter()
            .map(|i| {
                PutRecordsRequestEntry::builder()
                    .data(Blob::new(format!("record-{i}\n")))
                    .partition_key(format!("key-{}", i * 7919))
                    .build()
                    .unwrap()
            })
            .collect();
        let out = client
            .put_records()
            .stream_name(stream)
            .set_records(Some(entries))
            .send()
            .await
            .unwrap();
        assert_eq!(out.failed_record_count(), Some(0));
    }
}

fn tail(server: &Server, stream: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["tail", "--stream", stream, "--endpoint-url"];
    let endpoint = server.endpoint();
    args.push(&endpoint);
    args.extend(extra);
    args.extend(["--duration", "30s"]);
    run(kdg(&args))
}

fn lines(o: &std::process::Output) -> BTreeSet<String> {
    String::from_utf8_lossy(&o.stdout).lines().map(str::to_string).collect()
}

#[test]
fn tail_reads_every_shard_of_a_stream() {
    let Some(server) = kinesalite() else { return };
    let rt = rt();
    let client = kinesis_client(&server.endpoint());
    rt.block_on(create_stream(&client, "four", 4));
    rt.block_on(put(&client, "four", 0, 1000));
    let o = tail(&server, "four", &["--from", "trim-horizon", "--count", "1000"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let want: BTreeSet<String> = (0..1000).map(|i| format!("record-{i}")).collect();
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1000);
    assert_eq!(lines(&o), want);
}

#[test]
fn tail_json_has_shard_sequence_key_and_arrival() {
    let Some(server) = kinesalite() else { return };
    let rt = rt();
    let client = kinesis_client(&server.endpoint());
    rt.block_on(create_stream(&client, "js", 2));
    rt.block_on(put(&client, "js", 0, 20));
    let o = tail(&server, "js", &["--from", "trim-horizon", "--count", "20", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["shard"].as_str().unwrap().starts_with("shardId-"));
        assert!(!v["sequence_number"].as_str().unwrap().is_empty());
        assert!(v["partition_key"].as_str().unwrap().starts_with("key-"));
        assert!(v["arrival"].as_str().unwrap().ends_with('Z'));
        assert!(v["data"].as_str().unwrap().starts_with("record-"));
    }
}

#[test]
fn tail_follows_a_split_into_both_children() {
    let Some(server) = kinesalite() else { return };
    let rt = rt();
    let client = kinesis_client(&server.endpoint());
    rt.block_on(create_stream(&client, "split", 1));
    rt.block_on(put(&client, "split", 0, 100));
    rt.block_on(async {
        client
            .split_shard()
            .stream_name("split")
            .shard_to_split("shardId-000000000000")
            .new_starting_hash_key((1u128 << 127).to_string())
            .send()
            .await
            .unwrap();
        for _ in 0..200 {
            let d = client.describe_stream().stream_name("split").send().await.unwrap();
            if d.stream_description().unwrap().stream_status().as_str() == "ACTIVE" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    });
    rt.block_on(put(&client, "split", 100, 100));
    let o = tail(&server, "split", &["--from", "trim-horizon", "--count", "200"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let want: BTreeSet<String> = (0..200).map(|i| format!("record-{i}")).collect();
    assert_eq!(lines(&o), want, "records from the parent and both children");
}

#[test]
fn tail_errors_are_one_line_with_exit_2() {
    let Some(server) = kinesalite() else { return };
    let o = tail(&server, "nope", &["--count", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`nope` does not exist"), "{}", stderr(&o));
    let o = tail(&server, "nope", &["--from", "nonsense"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--from"), "{}", stderr(&o));
}
