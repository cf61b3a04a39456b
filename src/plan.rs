//! `kdg plan`: what to provision for a target rate (`docs/aws-limits.md`, `docs/measurement.md#capacity-report`).
//!
//! Pure arithmetic over the published limits: shards for a provisioned Kinesis stream, the
//! ramp an on-demand stream needs, the Firehose quota to request, and cost hints for small
//! records. A template's average record size is measured by rendering it.

use anyhow::Context as _;
use serde::Serialize;

use crate::sink::limits::{
    FIREHOSE_MAX_RECORDS, FIREHOSE_MAX_REQUEST_BYTES, KINESIS_MAX_RECORD_BYTES, KINESIS_SHARD_BYTES_PER_SEC,
    KINESIS_SHARD_RECORDS_PER_SEC, ON_DEMAND_INITIAL_WRITE_MB_S,
};

/// Firehose Direct PUT default quotas in us-east-1, us-west-2 and eu-west-1 (records/s,
/// requests/s, MiB/s); they scale together when raised.
/// <https://docs.aws.amazon.com/firehose/latest/dev/limits.html>
pub const FIREHOSE_QUOTA_LARGE_REGIONS: (f64, f64, f64) = (500_000.0, 2_000.0, 5.0);

/// Firehose Direct PUT default quotas in the other regions (records/s, requests/s, MiB/s).
/// <https://docs.aws.amazon.com/firehose/latest/dev/limits.html>
pub const FIREHOSE_QUOTA_OTHER_REGIONS: (f64, f64, f64) = (100_000.0, 1_000.0, 1.0);

/// Firehose bills ingestion per record rounded up to this many bytes.
/// <https://docs.aws.amazon.com/firehose/latest/dev/limits.html>
pub const FIREHOSE_BILLING_INCREMENT_BYTES: f64 = 5_000.0;

/// What to plan for.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PlanInput {
    /// Records per second.
    pub rps: f64,
    /// Average record bytes (data, newline included).
    pub record_bytes: f64,
    /// Partition key bytes (counted by Kinesis).
    pub key_bytes: f64,
    /// Spare capacity, 0.2 = 20%.
    pub headroom: f64,
    /// `--aggregate N`: most records packed into one Kinesis record (1: none).
    pub aggregate: usize,
}

/// The plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The input.
    pub input: PlanInput,
    /// Kinesis records per second the stream receives (fewer than `input.rps` with
    /// `--aggregate`).
    pub kinesis_records_s: f64,
    /// Records packed into each Kinesis record (1 without `--aggregate`).
    pub records_per_kinesis_record: usize,
    /// Kinesis write throughput, MiB/s (data plus keys).
    pub kinesis_mib_s: f64,
    /// Shards a provisioned stream needs for the records/s limit alone.
    pub shards_for_records: u64,
    /// Shards for the MiB/s limit alone.
    pub shards_for_bytes: u64,
    /// Shards to provision, with headroom.
    pub shards: u64,
    /// Which limit decides: `records` or `bytes`.
    pub binding_limit: &'static str,
    /// Doublings an on-demand stream needs from its initial 4 MB/s (0 if none).
    pub on_demand_doublings: u32,
    /// Least time the on-demand ramp takes (15 minutes per doubling), minutes.
    pub on_demand_ramp_minutes: u32,
    /// Firehose bytes per second, MiB/s.
    pub firehose_mib_s: f64,
    /// Firehose requests per second at full 500-record (≤ 4 MiB) batches.
    pub firehose_requests_s: f64,
    /// Whether the default quotas of the large regions / other regions suffice.
    pub firehose_fits_large_regions: bool,
    /// Same, other regions.
    pub firehose_fits_other_regions: bool,
    /// MiB/s to request if the quota must be raised (records and requests scale with it).
    pub firehose_quota_mib_s: f64,
    /// Billed bytes per record at Firehose's 5 KB rounding, over actual bytes.
    pub firehose_billing_ratio: f64,
    /// Advice, one line each.
    pub notes: Vec<String>,
}

/// Compute a plan.
pub fn plan(input: &PlanInput) -> Plan {
    let PlanInput {
        rps,
        record_bytes,
        key_bytes,
        headroom,
        aggregate,
    } = *input;
    let mib = 1024.0 * 1024.0;
    // What the stream sees: with --aggregate, packed records, one key each.
    let (k_rps, k_bytes, per_k) = crate::sink::kinesis::Kinesis::packed_load(rps, record_bytes, aggregate);
    let kinesis_mib_s = k_rps * (k_bytes + key_bytes) / mib;
    let shards_for_records = (k_rps / KINESIS_SHARD_RECORDS_PER_SEC as f64).ceil() as u64;
    let shards_for_bytes = (kinesis_mib_s / (KINESIS_SHARD_BYTES_PER_SEC as f64 / mib)).ceil() as u64;
    let base = shards_for_records.max(shards_for_bytes).max(1);
    let shards = ((base as f64) * (1.0 + headroom)).ceil() as u64;
    let binding_limit = if shards_for_bytes > shards_for_records {
        "bytes"
    } else {
        "records"
    };
    let mb_s = k_rps * (k_bytes + key_bytes) / 1e6;
    let mut on_demand_doublings = 0;
    while ON_DEMAND_INITIAL_WRITE_MB_S * 2f64.powi(on_demand_doublings as i32) < mb_s {
        on_demand_doublings += 1;
    }
    let firehose_mib_s = rps * record_bytes / mib;
    let per_request = (FIREHOSE_MAX_RECORDS as f64)
        .min((FIREHOSE_MAX_REQUEST_BYTES as f64 / record_bytes.max(1.0)).floor())
        .max(1.0);
    let firehose_requests_s = (rps / per_request).ceil();
    let fits = |(r, q, m): (f64, f64, f64)| rps <= r && firehose_requests_s <= q && firehose_mib_s <= m;
    let (large, other) = (FIREHOSE_QUOTA_LARGE_REGIONS, FIREHOSE_QUOTA_OTHER_REGIONS);
    // The three quotas scale together: the MiB/s to request is the largest of the three ratios.
    let scale = (rps / large.0)
        .max(firehose_requests_s / large.1)
        .max(firehose_mib_s / large.2);
    let firehose_quota_mib_s = (large.2 * scale * (1.0 + headroom)).max(large.2);
    let billed = (record_bytes / FIREHOSE_BILLING_INCREMENT_BYTES).ceil().max(1.0) * FIREHOSE_BILLING_INCREMENT_BYTES;
    let firehose_billing_ratio = billed / record_bytes.max(1.0);

    let mut notes = Vec::new();
    if record_bytes + key_bytes > KINESIS_MAX_RECORD_BYTES as f64 {
        notes.push(format!(
            "records of {record_bytes:.0} B are over Kinesis's 1 MiB record limit (data plus key): they would be rejected"
        ));
    }
    notes.push(
        "one partition key always goes to one shard: a hot key is limited to 1,000 records/s and 1 MiB/s whatever the shard count"
            .into(),
    );
    if on_demand_doublings > 0 {
        notes.push(format!(
            "on demand: {mb_s:.1} MB/s is {on_demand_doublings} doubling(s) above a new stream's {ON_DEMAND_INITIAL_WRITE_MB_S} MB/s; \
             ramp ×2 at most every 15 minutes (≥ {} min, e.g. kdg run --ramp) or set warm throughput to {:.0} MiB/s",
            on_demand_doublings * 15,
            kinesis_mib_s.ceil()
        ));
    }
    if firehose_billing_ratio > 1.5 {
        notes.push(format!(
            "Firehose bills each record as a multiple of 5 KB: {record_bytes:.0} B records are billed {firehose_billing_ratio:.0}× their size; \
             pack several records per Firehose record (newline-separated) to cut ingestion cost"
        ));
    }
    if record_bytes < 1024.0 && per_k == 1 {
        notes.push(
            "records far below 1 KiB: KPL-style aggregation packs many into one Kinesis record, easing the 1,000 records/s per-shard limit"
                .into(),
        );
    }
    Plan {
        input: *input,
        kinesis_records_s: k_rps,
        records_per_kinesis_record: per_k,
        kinesis_mib_s,
        shards_for_records,
        shards_for_bytes,
        shards,
        binding_limit,
        on_demand_doublings,
        on_demand_ramp_minutes: on_demand_doublings * 15,
        firehose_mib_s,
        firehose_requests_s,
        firehose_fits_large_regions: fits(large),
        firehose_fits_other_regions: fits(other),
        firehose_quota_mib_s,
        firehose_billing_ratio,
        notes,
    }
}

/// Average rendered size of a template's records (newline included), over 10,000 records.
pub fn measure(path: &std::path::Path) -> anyhow::Result<f64> {
    const N: u64 = 10_000;
    let opts = crate::template::Options {
        compat: crate::faker::Compat::Tolerant,
        tz: jiff::tz::TimeZone::UTC,
        row_fields: None,
    };
    let t = crate::template::Template::from_file(path, &opts).with_context(|| "--template")?;
    let mut ctx = t.context(1, "plan");
    let mut buf = Vec::new();
    let now = jiff::Timestamp::now().as_millisecond();
    let mut total = 0usize;
    for n in 0..N {
        buf.clear();
        t.render(&mut ctx, n, now, &mut buf);
        total += buf.len() + 1;
    }
    Ok(total as f64 / N as f64)
}

/// The plan as the text `kdg plan` prints.
pub fn text(p: &Plan) -> String {
    let i = &p.input;
    let mut s = String::new();
    let yes = |b: bool| if b { "fits" } else { "needs a quota increase" };
    s += &format!(
        "Target: {:.0} records/s of {:.0} B (+ {:.0} B key), headroom {:.0}%\n\n",
        i.rps,
        i.record_bytes,
        i.key_bytes,
        i.headroom * 100.0
    );
    s += "Kinesis Data Streams, provisioned\n";
    if p.records_per_kinesis_record > 1 {
        s += &format!(
            "  records sent            {:.0} Kinesis records/s  (--aggregate: {} records in each)\n",
            p.kinesis_records_s, p.records_per_kinesis_record
        );
    }
    s += &format!("  write throughput        {:.2} MiB/s\n", p.kinesis_mib_s);
    s += &format!(
        "  shards for records/s    {}  (1,000 records/s each)\n",
        p.shards_for_records
    );
    s += &format!("  shards for MiB/s        {}  (1 MiB/s each)\n", p.shards_for_bytes);
    s += &format!(
        "  shards to provision     {}  ({} decide, with headroom)\n\n",
        p.shards, p.binding_limit
    );
    s += "Kinesis Data Streams, on demand\n";
    if p.on_demand_doublings == 0 {
        s += "  a new on-demand stream takes this at once (under 4 MB/s)\n\n";
    } else {
        s += &format!(
            "  {} doubling(s) from 4 MB/s: ramp for at least {} minutes, or set warm throughput\n\n",
            p.on_demand_doublings, p.on_demand_ramp_minutes
        );
    }
    s += "Amazon Data Firehose, Direct PUT\n";
    s += &format!(
        "  throughput              {:.2} MiB/s, {:.0} requests/s at full batches\n",
        p.firehose_mib_s, p.firehose_requests_s
    );
    s += &format!(
        "  us-east-1/us-west-2/eu-west-1 defaults (500k records/s, 2,000 req/s, 5 MiB/s): {}\n",
        yes(p.firehose_fits_large_regions)
    );
    s += &format!(
        "  other regions' defaults (100k records/s, 1,000 req/s, 1 MiB/s): {}\n",
        yes(p.firehose_fits_other_regions)
    );
    if !p.firehose_fits_large_regions {
        s += &format!(
            "  request {:.0} MiB/s (records/s and requests/s scale with it)\n",
            p.firehose_quota_mib_s.ceil()
        );
    }
    s += &format!(
        "  billed size / actual size at 5 KB rounding: {:.1}×\n",
        p.firehose_billing_ratio
    );
    s += "\nNotes\n";
    for n in &p.notes {
        s += &format!("  - {n}\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(rps: f64, bytes: f64, headroom: f64) -> Plan {
        plan(&PlanInput {
            rps,
            record_bytes: bytes,
            key_bytes: 0.0,
            headroom,
            aggregate: 1,
        })
    }

    #[test]
    fn aggregation_plans_for_the_packed_records_the_stream_sees() {
        // 50,000 records/s of 100 B: 50 shards for the records alone; packed 100 to a Kinesis
        // record, 500 records/s of about 10.8 KB (each record framed by a few bytes), and the
        // bytes (5.2 MiB/s) decide: 6 shards.
        let loose = p(50_000.0, 100.0, 0.0);
        assert_eq!(
            (loose.shards, loose.binding_limit, loose.records_per_kinesis_record),
            (50, "records", 1)
        );
        let packed = plan(&PlanInput {
            aggregate: 100,
            ..loose.input
        });
        assert_eq!(packed.records_per_kinesis_record, 100);
        assert!(
            (packed.kinesis_records_s - 500.0).abs() < 1e-9,
            "{}",
            packed.kinesis_records_s
        );
        assert_eq!((packed.shards, packed.binding_limit), (6, "bytes"));
        assert!(text(&packed).contains("500 Kinesis records/s  (--aggregate: 100 records in each)"));
        // Firehose is sized for the records themselves.
        assert_eq!(packed.firehose_mib_s, loose.firehose_mib_s);
    }

    #[test]
    fn shards_follow_the_larger_of_records_and_bytes() {
        // 1,000 records/s of 1 KiB: 0.98 MiB/s, one shard either way.
        let a = p(1000.0, 1000.0, 0.0);
        assert_eq!((a.shards_for_records, a.shards_for_bytes, a.shards), (1, 1, 1));
        // 5,000 records/s of 10 B: the records/s limit decides, 5 shards.
        let b = p(5000.0, 10.0, 0.0);
        assert_eq!((b.shards, b.binding_limit), (5, "records"));
        // 500 records/s of 4 KiB: 1.95 MiB/s, the bytes decide, 2 shards.
        let c = p(500.0, 4096.0, 0.0);
        assert_eq!(
            (c.shards_for_records, c.shards_for_bytes, c.shards, c.binding_limit),
            (1, 2, 2, "bytes")
        );
        // Headroom rounds up.
        assert_eq!(p(5000.0, 10.0, 0.2).shards, 6);
    }

    #[test]
    fn on_demand_ramp_counts_doublings_from_4_mb_s() {
        assert_eq!(p(1000.0, 1000.0, 0.0).on_demand_doublings, 0);
        // 20 MB/s: 4 → 8 → 16 → 32, three doublings, 45 minutes.
        let r = p(20_000.0, 1000.0, 0.0);
        assert_eq!((r.on_demand_doublings, r.on_demand_ramp_minutes), (3, 45));
    }

    #[test]
    fn firehose_quota_and_billing() {
        let small = p(1000.0, 200.0, 0.0);
        assert!(small.firehose_fits_other_regions && small.firehose_fits_large_regions);
        assert_eq!(small.firehose_billing_ratio, 25.0);
        // 600k records/s of 100 B is 57.2 MiB/s: the bytes quota binds, 11.4x the default 5 MiB/s.
        let big = p(600_000.0, 100.0, 0.0);
        assert!(!big.firehose_fits_large_regions);
        let want = 600_000.0 * 100.0 / 1_048_576.0;
        assert!(
            (big.firehose_quota_mib_s - want).abs() < 1e-9,
            "{}",
            big.firehose_quota_mib_s
        );
        // 600k records/s of 5 B: now the records/s quota binds (1.2x).
        let many = p(600_000.0, 5.0, 0.0);
        assert!(
            (many.firehose_quota_mib_s - 6.0).abs() < 1e-9,
            "{}",
            many.firehose_quota_mib_s
        );
        assert!(big.notes.iter().any(|n| n.contains("5 KB")));
    }

    #[test]
    fn oversize_records_are_called_out() {
        assert!(p(10.0, 2e6, 0.0).notes[0].contains("1 MiB record limit"));
    }
}
