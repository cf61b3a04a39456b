//! `kdg find-max` against the fault-injecting proxy set up as 4 shards of 1,000 records/s.

use crate::common::*;

#[test]
fn finds_four_thousand_records_per_second_on_four_shards() {
    // Measuring a rate: nothing else runs meanwhile.
    let _alone = exclusive();
    let Some(server) = kinesalite_unlocked() else { return };
    let rt = rt();
    let client = kinesis_client(&server.endpoint());
    rt.block_on(create_stream(&client, "probe", 4));
    // A small burst allowance, so a short step cannot borrow much beyond the per-second limit.
    let p = proxy(&server, &["--records-per-shard", "1000", "--burst-seconds", "0.2"]);
    let o = run(kdg(&[
        "find-max",
        "tests/fixtures/it-record.hbs",
        "--stream",
        "probe",
        "--endpoint-url",
        &p.endpoint(),
        "--start",
        "1k",
        "--max-rate",
        "64k",
        "--step-time",
        "4s",
        "--precision",
        "6",
        "--json",
        "--quiet",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("nanos"),
        "durations are ms"
    );
    assert_eq!(v["criteria"]["max_p99_ms"], 1000.0);
    let found = v["search"]["max_rps"].as_f64().expect("an answer");
    assert!(
        (3600.0..=4400.0).contains(&found),
        "found {found} records/s, expected 4,000 ± 10%: {v}"
    );
    let steps = v["search"]["steps"].as_array().unwrap();
    assert!(
        steps.iter().any(|s| s["held"] == false),
        "the search saw a failing step"
    );
}
