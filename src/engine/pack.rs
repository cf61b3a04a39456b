//! `--aggregate N`: packing a batch of logical records into fewer destination records, and
//! translating the destination's answer back into logical records.
//!
//! For Kinesis each packed record is a KPL aggregated record ([`crate::aggregate::KplAggregator`])
//! carrying up to N records with their own partition keys; for Firehose it is up to N records
//! joined by newlines ([`crate::aggregate::LinePacker`]). A record too large to share a packed
//! record goes alone, as it is. The report counts logical records everywhere, and the packed
//! records the destination saw in `destination_records`.

use crate::aggregate::{KplAggregator, LinePacker};
use crate::sink::{Batch, Delivery};

/// How records are packed.
pub enum Packer {
    /// KPL aggregation, for Kinesis.
    Kpl(Box<KplAggregator>),
    /// Newline packing, for Firehose.
    Lines(LinePacker),
}

/// Which logical records (a range of the logical batch) each packed record carries.
pub type Packs = Vec<(u32, u32)>;

impl Packer {
    /// Pack `logical` into `packed` (reset first), at most `most` records per packed record;
    /// `packs` gets the logical range of each packed record.
    pub fn pack(&mut self, logical: &Batch, most: usize, packed: &mut Batch, packs: &mut Packs) {
        packed.reset(logical.first);
        packs.clear();
        let with_keys = !logical.keys.is_empty();
        let with_hash = !logical.hash_keys.is_empty();
        let key = |col: &crate::sink::Column, j: usize| String::from_utf8_lossy(col.get(j)).into_owned();
        let mut first = 0usize;
        let mut held = 0usize;
        for j in 0..logical.len() {
            let data = logical.record(j);
            let pk = if with_keys {
                key(&logical.keys, j)
            } else {
                String::new()
            };
            let hk = with_hash.then(|| key(&logical.hash_keys, j));
            let fits = held < most && self.try_add(data, &pk, hk.as_deref());
            if fits {
                if held == 0 {
                    first = j;
                }
                held += 1;
                continue;
            }
            if held > 0 {
                self.flush(packed, packs, first, held);
            }
            if self.try_add(data, &pk, hk.as_deref()) {
                first = j;
                held = 1;
            } else {
                // Too large to pack: it goes alone, and the sink judges it.
                packed.data.extend_from_slice(data);
                packed.end_record();
                if with_keys {
                    packed.keys.data.extend_from_slice(logical.keys.get(j));
                    packed.keys.end();
                }
                if with_hash {
                    packed.hash_keys.data.extend_from_slice(logical.hash_keys.get(j));
                    packed.hash_keys.end();
                }
                packs.push((j as u32, 1));
                held = 0;
            }
        }
        if held > 0 {
            self.flush(packed, packs, first, held);
        }
    }

    fn try_add(&mut self, data: &[u8], pk: &str, hk: Option<&str>) -> bool {
        match self {
            Packer::Kpl(a) => a.try_add(data, pk, hk),
            Packer::Lines(l) => l.try_push(data),
        }
    }

    fn flush(&mut self, packed: &mut Batch, packs: &mut Packs, first: usize, held: usize) {
        match self {
            Packer::Kpl(a) => {
                if let Some(f) = a.finish(&mut packed.data) {
                    packed.keys.data.extend_from_slice(f.partition_key.as_bytes());
                    packed.keys.end();
                    if let Some(h) = f.explicit_hash_key {
                        packed.hash_keys.data.extend_from_slice(h.as_bytes());
                        packed.hash_keys.end();
                    }
                }
            }
            Packer::Lines(l) => {
                l.finish(&mut packed.data);
            }
        }
        packed.end_record();
        packs.push((first as u32, held as u32));
    }
}

/// Translate the outcome of sending packed records into logical records: delivered records are
/// those inside acknowledged packed records; failed and rejected counts are spread over the
/// not-delivered records in proportion (exact in total). Throttles, retries and per-shard
/// counts stay in packed records, which is what the service limits count. Returns the outcome
/// and how many packed records were delivered.
pub fn unpack(out: Delivery, packs: &Packs) -> (Delivery, u64) {
    let logical_total: u64 = packs.iter().map(|p| u64::from(p.1)).sum();
    let entries_delivered = out.delivered;
    let all = out.acked.is_empty() && out.failed.is_empty() && out.rejected.is_empty();
    if all {
        return (
            Delivery {
                delivered: logical_total,
                ..out
            },
            entries_delivered,
        );
    }
    let acked: Vec<(tokio::time::Instant, Vec<u32>)> = out
        .acked
        .iter()
        .map(|(at, which)| {
            let logical = which
                .iter()
                .flat_map(|&i| {
                    let (start, n) = packs[i as usize];
                    start..start + n
                })
                .collect();
            (*at, logical)
        })
        .collect();
    let delivered: u64 = acked.iter().map(|(_, w)| w.len() as u64).sum();
    let entries_not = (packs.len() as u64).saturating_sub(entries_delivered).max(1);
    let logical_not = logical_total - delivered;
    let spread = |counts: &[(String, u64)], left: &mut u64| -> Vec<(String, u64)> {
        counts
            .iter()
            .map(|(code, n)| {
                let share = (n * logical_not / entries_not).min(*left);
                *left -= share;
                (code.clone(), share)
            })
            .collect()
    };
    let mut left = logical_not;
    let mut failed = spread(&out.failed, &mut left);
    let mut rejected = spread(&out.rejected, &mut left);
    // Rounding leftovers go to the first code, so the totals add up exactly.
    if left > 0 {
        if let Some(f) = failed.first_mut().or(rejected.first_mut()) {
            f.1 += left;
        }
    }
    (
        Delivery {
            delivered,
            failed,
            rejected,
            acked,
            ..out
        },
        entries_delivered,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logical(n: usize, size: usize) -> Batch {
        let mut b = Batch::with_capacity(n, size);
        for i in 0..n {
            b.data.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, size));
            b.end_record();
            b.keys.data.extend_from_slice(format!("k{i}").as_bytes());
            b.keys.end();
        }
        b
    }

    #[test]
    fn kpl_packs_at_most_n_and_every_record_once() {
        let l = logical(25, 10);
        let (mut packed, mut packs) = (Batch::with_capacity(4, 100), Packs::new());
        Packer::Kpl(Box::default()).pack(&l, 10, &mut packed, &mut packs);
        assert_eq!(packs, [(0, 10), (10, 10), (20, 5)]);
        assert_eq!(packed.len(), 3);
        assert_eq!(packed.keys.get(0), b"k0");
        assert_eq!(packed.keys.get(2), b"k20");
        let subs = crate::aggregate::deaggregate(packed.record(1), "k10").expect("decodes");
        assert_eq!(subs.len(), 10);
        assert_eq!(subs[3].data, l.record(13));
        assert_eq!(subs[3].partition_key, "k13");
    }

    #[test]
    fn byte_limits_cut_packs_early_and_oversize_records_go_alone() {
        let l = logical(5, 400);
        let (mut packed, mut packs) = (Batch::with_capacity(4, 100), Packs::new());
        Packer::Kpl(Box::new(KplAggregator::with_limit(1000))).pack(&l, 100, &mut packed, &mut packs);
        assert_eq!(packs, [(0, 2), (2, 2), (4, 1)]);
        let big = logical(3, 2000);
        Packer::Lines(LinePacker::with_limit(1000)).pack(&big, 100, &mut packed, &mut packs);
        assert_eq!(packs, [(0, 1), (1, 1), (2, 1)]);
        assert_eq!(packed.record(1), big.record(1));
    }

    #[test]
    fn lines_join_records_with_newlines() {
        let l = logical(3, 2);
        let (mut packed, mut packs) = (Batch::with_capacity(4, 100), Packs::new());
        Packer::Lines(LinePacker::new()).pack(&l, 2, &mut packed, &mut packs);
        assert_eq!(packed.record(0), b"aa\nbb\n");
        assert_eq!(packed.record(1), b"cc\n");
    }

    #[test]
    fn outcomes_translate_to_logical_records() {
        let packs: Packs = vec![(0, 10), (10, 10), (20, 5)];
        let all = Delivery {
            delivered: 3,
            requests: 1,
            ..Delivery::default()
        };
        assert_eq!(unpack(all, &packs).0.delivered, 25);
        let t = tokio::time::Instant::now();
        let partial = Delivery {
            delivered: 2,
            acked: vec![(t, vec![0, 2])],
            failed: vec![("ProvisionedThroughputExceededException".into(), 1)],
            ..Delivery::default()
        };
        let (o, entries) = unpack(partial, &packs);
        assert_eq!((o.delivered, entries), (15, 2));
        assert_eq!(o.failed, [("ProvisionedThroughputExceededException".to_string(), 10)]);
        assert_eq!(o.acked[0].1.len(), 15);
        assert_eq!(o.acked[0].1[10], 20);
    }
}
