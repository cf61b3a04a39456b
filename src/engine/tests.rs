//! Engine tests on tokio's paused clock with a scripted sink: no wall-clock timing.

use super::*;
use crate::engine::plan::Instance;
use crate::engine::schedule::{Arrivals, Pacing, Profile, Rate};
use crate::sink::Scripted;
use std::num::NonZeroUsize;

/// `rps` records per second with seed 1; the rest as [`LoadPlan::default`].
fn at(rps: f64) -> LoadPlan {
    LoadPlan {
        rate: Rate::per_second(rps),
        seed: 1,
        ..LoadPlan::default()
    }
}

/// `n` workers, each one task.
fn with_workers(plan: LoadPlan, n: usize) -> LoadPlan {
    let n = NonZeroUsize::new(n).expect("non-zero");
    LoadPlan {
        workers: n,
        tasks: n,
        ..plan
    }
}

/// Instance `index` of `count` of a run at `rps` with `records` records, as `--instance` sets it up.
fn instance_of(rps: f64, records: u64, index: u64, count: u64) -> LoadPlan {
    let instance = Instance { index, count };
    LoadPlan {
        count: Some(instance.share(records)),
        instance: Some(instance),
        ..at(rps / count as f64)
    }
}

fn secs(s: u64) -> Option<Duration> {
    Some(Duration::from_secs(s))
}

fn template() -> Arc<Source> {
    Arc::new(Source::single(
        Template::compile("r{{seq}}", "t", &crate::template::Options::default()).expect("compiles"),
    ))
}

async fn run_with(cfg: &LoadPlan, sink: Scripted, shutdown: impl Future<Output = ()>) -> (RunOutput, Arc<Sink>) {
    let sink = Arc::new(Sink::Scripted(sink));
    let out = run(
        cfg,
        template(),
        Keys::default(),
        Arc::clone(&sink),
        shutdown,
        &mut |_| {},
    )
    .await
    .expect("runs");
    (out, sink)
}

/// Run `cfg` against a sink taking `delay` per batch; the output and how long the run took on
/// the paused clock.
async fn run_slow(cfg: &LoadPlan, delay: Duration) -> (RunOutput, Duration) {
    let started = Instant::now();
    let sink = Scripted {
        delay,
        ..Scripted::default()
    };
    let (out, _) = run_with(cfg, sink, std::future::pending()).await;
    (out, started.elapsed())
}

fn scripted(sink: &Sink) -> &Scripted {
    match sink {
        Sink::Scripted(s) => s,
        _ => unreachable!(),
    }
}

#[tokio::test(start_paused = true)]
async fn stops_exactly_at_count_with_every_record_once() {
    let cfg = with_workers(
        LoadPlan {
            count: Some(1234),
            ..at(1000.0)
        },
        3,
    );
    let (out, sink) = run_with(
        &cfg,
        Scripted {
            keep: true,
            ..Scripted::default()
        },
        std::future::pending(),
    )
    .await;
    assert_eq!(out.report.totals.delivered, 1234);
    assert_eq!(out.report.stopped_by, StopReason::Count);
    let mut records: Vec<String> = scripted(&sink)
        .records
        .lock()
        .unwrap()
        .iter()
        .map(|r| String::from_utf8(r.clone()).unwrap())
        .collect();
    records.sort_by_key(|r| r[1..r.len() - 1].parse::<u64>().unwrap());
    let want: Vec<String> = (0..1234).map(|n| format!("r{n}\n")).collect();
    assert_eq!(records, want);
    assert_eq!(out.report.outcome.exit_code, 0);
}

#[tokio::test(start_paused = true)]
async fn stops_at_duration_after_rate_times_duration_records() {
    let cfg = LoadPlan {
        duration: secs(3),
        ..at(500.0)
    };
    let (out, _) = run_with(&cfg, Scripted::default(), std::future::pending()).await;
    assert_eq!(out.report.totals.offered, 1500);
    assert_eq!(out.report.totals.delivered, 1500);
    assert_eq!(out.report.stopped_by, StopReason::Duration);
}

#[tokio::test(start_paused = true)]
async fn rate_is_held_within_one_batch_per_second() {
    let cfg = with_workers(
        LoadPlan {
            duration: secs(10),
            ..at(1000.0)
        },
        2,
    );
    let start = Instant::now();
    let (_, sink) = run_with(&cfg, Scripted::default(), std::future::pending()).await;
    let mut per_second = [0usize; 10];
    for (at, n) in scripted(&sink).arrivals.lock().unwrap().iter() {
        let s = (*at - start).as_secs() as usize;
        per_second[s.min(9)] += n;
    }
    for (s, n) in per_second.iter().enumerate() {
        assert!((999..=1001).contains(n), "second {s}: {n} records");
    }
}

#[tokio::test(start_paused = true)]
async fn burst_pacing_sends_each_second_at_once() {
    let cfg = LoadPlan {
        duration: secs(3),
        pacing: Pacing::Burst,
        ..at(300.0)
    };
    let start = Instant::now();
    let (out, sink) = run_with(&cfg, Scripted::default(), std::future::pending()).await;
    assert_eq!(out.report.totals.delivered, 900);
    let arrivals = scripted(&sink).arrivals.lock().unwrap().clone();
    let offsets: Vec<u128> = arrivals.iter().map(|(at, _)| (*at - start).as_millis()).collect();
    assert_eq!(offsets, vec![0, 1000, 2000]);
}

#[tokio::test(start_paused = true)]
async fn a_slow_sink_shows_lag_instead_of_lowering_the_rate() {
    // Two workers at 10 ms per batch of one record manage 200 records/s against a target of 1000.
    let cfg = with_workers(
        LoadPlan {
            duration: secs(2),
            ..at(1000.0)
        },
        2,
    );
    let (out, _) = run_with(
        &cfg,
        Scripted {
            delay: Duration::from_millis(10),
            ..Scripted::default()
        },
        std::future::pending(),
    )
    .await;
    let r = &out.report;
    // The backlog is sent until a second after the duration, then the run drains and ends.
    assert_eq!(r.totals.delivered, 600, "200 records/s for 3 s");
    assert!(r.lag.final_ms > 2000.0, "final lag {} ms", r.lag.final_ms);
    // The workers spent their time waiting on the sink: the destination, not the generator.
    assert!(r.sink_bound && !r.generator_bound, "{r:?}");
    assert!(
        r.latency.record_e2e.p99_ms > r.latency.record_send.p99_ms * 10.0,
        "corrected latency includes the lag"
    );
}

/// Issue 18: the live view says what a lagging run waits on, over the last second: the
/// destination for a slow sink; nothing while the run keeps up; and the window percentiles
/// follow the latency of the moment, which the since-start ones lag behind.
#[tokio::test(start_paused = true)]
async fn the_live_view_names_the_cause_of_lag_and_shows_the_last_seconds_latency() {
    let cfg = with_workers(
        LoadPlan {
            duration: secs(3),
            ..at(1000.0)
        },
        2,
    );
    let mut views = Vec::new();
    let sink = Scripted {
        delay: Duration::from_millis(10),
        ..Scripted::default()
    };
    run(
        &cfg,
        template(),
        Keys::default(),
        Arc::new(Sink::Scripted(sink)),
        std::future::pending(),
        &mut |live| views.push((live.lag, live.lag_cause, live.p99_window_ms, live.p99_ms)),
    )
    .await
    .expect("runs");
    let lagging: Vec<_> = views.iter().filter(|v| v.0 >= Duration::from_millis(100)).collect();
    assert!(lagging.len() >= 4, "{views:?}");
    assert!(lagging.iter().all(|v| v.1 == Some(LagCause::Destination)), "{views:?}");
    assert!(
        views
            .iter()
            .filter(|v| v.0 < Duration::from_millis(100))
            .all(|v| v.1.is_none()),
        "{views:?}"
    );
    // The backlog grows, so the last second's p99 is above the run's so far.
    let late = views.iter().rev().find(|v| v.2 > 0.0).expect("a view with deliveries");
    assert!(late.2 > late.3, "window p99 {} ms, since start {} ms", late.2, late.3);
    // Kept up: no lag, no cause.
    let mut views = Vec::new();
    run(
        &LoadPlan {
            duration: secs(2),
            ..at(100.0)
        },
        template(),
        Keys::default(),
        Arc::new(Sink::Scripted(Scripted::default())),
        std::future::pending(),
        &mut |live| views.push(live.lag_cause),
    )
    .await
    .expect("runs");
    assert!(!views.is_empty() && views.iter().all(Option::is_none), "{views:?}");
}

#[test]
fn lag_is_blamed_on_throttling_first_then_on_where_the_time_went() {
    assert_eq!(LagCause::of(1, 10, 5), LagCause::Throttled);
    assert_eq!(LagCause::of(0, 10, 50), LagCause::Destination);
    assert_eq!(LagCause::of(0, 50, 10), LagCause::Generator);
}

#[tokio::test(start_paused = true)]
async fn interrupt_drains_in_flight_work_and_reports() {
    let cfg = with_workers(at(100.0), 2);
    let (out, _) = run_with(
        &cfg,
        Scripted {
            delay: Duration::from_millis(5),
            ..Scripted::default()
        },
        tokio::time::sleep(Duration::from_millis(2500)),
    )
    .await;
    let r = &out.report;
    assert_eq!(r.stopped_by, StopReason::Interrupt);
    assert!((240..=260).contains(&r.totals.offered), "{}", r.totals.offered);
    assert_eq!(r.totals.delivered, r.totals.offered, "records already sent are counted");
    assert_eq!(r.outcome.exit_code, 0);
}

#[tokio::test(start_paused = true)]
async fn failed_records_are_counted_by_code_and_fail_the_run() {
    let cfg = LoadPlan {
        count: Some(1000),
        ..at(1000.0)
    };
    let (out, _) = run_with(
        &cfg,
        Scripted {
            fail_every: Some(10),
            ..Scripted::default()
        },
        std::future::pending(),
    )
    .await;
    let r = &out.report;
    assert_eq!((r.totals.delivered, r.totals.failed), (900, 100));
    assert_eq!(r.errors.get("ThrottledForTest"), Some(&100));
    assert_eq!(r.outcome.exit_code, 1);
}

#[tokio::test(start_paused = true)]
async fn a_closed_destination_ends_the_run_quietly() {
    let cfg = LoadPlan {
        count: Some(5000),
        ..at(1000.0)
    };
    let (out, _) = run_with(
        &cfg,
        Scripted {
            close_after: Some(100),
            ..Scripted::default()
        },
        std::future::pending(),
    )
    .await;
    assert_eq!(out.report.stopped_by, StopReason::Interrupt);
    assert!(out.report.totals.delivered <= 101);
    assert_eq!(out.report.outcome.exit_code, 0);
}

#[tokio::test(start_paused = true)]
async fn timeline_has_a_row_per_second() {
    let cfg = LoadPlan {
        duration: secs(5),
        ..at(200.0)
    };
    let (out, _) = run_with(&cfg, Scripted::default(), std::future::pending()).await;
    let rows = out.timeline.rows();
    assert!((5..=6).contains(&rows.len()), "{} rows", rows.len());
    let sent: u64 = rows.iter().map(|r| r.sent).sum();
    assert_eq!(sent, 1000);
}

/// Issue 15: at a constant rate every full second of the timeline holds the rate (offered by
/// intended time, delivered as acknowledged), within 0.5%; only the last row is partial.
#[tokio::test(start_paused = true)]
async fn a_constant_rate_shows_exactly_in_every_full_second_and_the_last_row_is_partial() {
    let cfg = with_workers(
        LoadPlan {
            duration: secs(6),
            ..at(1000.0)
        },
        2,
    );
    let (out, _) = run_with(&cfg, Scripted::default(), std::future::pending()).await;
    let rows = out.timeline.rows();
    let (last, full) = rows.split_last().expect("rows");
    assert!(full.len() >= 5, "{rows:?}");
    for r in full {
        assert!(!r.partial, "{r:?}");
        for (what, n) in [("offered", r.offered), ("delivered", r.sent)] {
            assert!((995..=1005).contains(&n), "second {}: {what} {n}", r.t_s);
        }
    }
    assert!(last.partial, "{last:?}");
    assert_eq!(rows.iter().map(|r| r.sent).sum::<u64>(), out.report.totals.delivered);
}

#[tokio::test(start_paused = true)]
async fn live_views_carry_each_completed_second_once_while_the_run_goes_on() {
    let cfg = LoadPlan {
        duration: secs(5),
        ..at(200.0)
    };
    let mut streamed = Vec::new();
    // (elapsed, rows so far) at each view that brought rows.
    let mut when = Vec::new();
    let out = run(
        &cfg,
        template(),
        Keys::default(),
        Arc::new(Sink::Scripted(Scripted::default())),
        std::future::pending(),
        &mut |live| {
            if !live.new_seconds.is_empty() {
                streamed.extend_from_slice(&live.new_seconds);
                when.push((live.elapsed, streamed.len()));
            }
        },
    )
    .await
    .expect("runs");
    let rows = out.timeline.rows();
    assert!(streamed.len() >= 4, "{} rows streamed", streamed.len());
    assert_eq!(
        streamed[..],
        rows[..streamed.len()],
        "the same rows, in order, each once"
    );
    let (first_at, first_rows) = when[0];
    assert!(
        first_at < Duration::from_secs(2) && first_rows == 1,
        "second 0 came out during second 1: {when:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_ramp_hits_each_rate_on_schedule() {
    let cfg = with_workers(
        LoadPlan {
            rate: Rate::Profile(Profile::Ramp {
                from: 100.0,
                to: 1100.0,
                over: Duration::from_secs(10),
            }),
            duration: secs(10),
            ..at(0.0)
        },
        2,
    );
    let start = Instant::now();
    let (out, sink) = run_with(&cfg, Scripted::default(), std::future::pending()).await;
    assert_eq!(out.report.totals.delivered, 6000, "the area under the ramp");
    let mut per_second = [0usize; 10];
    for (at, n) in scripted(&sink).arrivals.lock().unwrap().iter() {
        per_second[((*at - start).as_secs() as usize).min(9)] += n;
    }
    for (s, n) in per_second.iter().enumerate() {
        let want = 150 + 100 * s;
        assert!(n.abs_diff(want) <= 2, "second {s}: {n} records, want {want}");
    }
    assert!(
        (out.report.target_rps.unwrap() - 600.0).abs() < 1e-9,
        "the mean target of the ramp"
    );
}

#[tokio::test(start_paused = true)]
async fn poisson_arrivals_keep_the_mean_rate() {
    let cfg = LoadPlan {
        arrivals: Arrivals::Poisson,
        duration: secs(50),
        ..at(200.0)
    };
    let (out, _) = run_with(&cfg, Scripted::default(), std::future::pending()).await;
    let n = out.report.totals.delivered as f64;
    // 10,000 expected; a Poisson count's standard deviation is 100.
    assert!((n - 10_000.0).abs() < 400.0, "{n}");
}

#[tokio::test(start_paused = true)]
async fn instances_together_send_exactly_the_records_of_one_run() {
    let template = || {
        Arc::new(Source::single(
            Template::compile(
                "r{{seq}}-{{random.number 1000000}}",
                "t",
                &crate::template::Options::default(),
            )
            .unwrap(),
        ))
    };
    let collect = |sink: &Sink| -> Vec<String> {
        scripted(sink)
            .records
            .lock()
            .unwrap()
            .iter()
            .map(|r| String::from_utf8(r.clone()).unwrap())
            .collect()
    };
    let single = Arc::new(Sink::Scripted(Scripted {
        keep: true,
        ..Scripted::default()
    }));
    run(
        &LoadPlan {
            count: Some(100),
            ..at(900.0)
        },
        template(),
        Keys::default(),
        Arc::clone(&single),
        std::future::pending(),
        &mut |_| {},
    )
    .await
    .unwrap();
    let mut want = collect(&single);
    want.sort();
    let mut got = Vec::new();
    let mut delivered = 0;
    for i in 0..3 {
        let sink = Arc::new(Sink::Scripted(Scripted {
            keep: true,
            ..Scripted::default()
        }));
        let cfg = instance_of(900.0, 100, i, 3);
        let out = run(
            &cfg,
            template(),
            Keys::default(),
            Arc::clone(&sink),
            std::future::pending(),
            &mut |_| {},
        )
        .await
        .unwrap();
        delivered += out.report.totals.delivered;
        got.extend(collect(&sink));
    }
    got.sort();
    assert_eq!(delivered, 100);
    assert_eq!(got, want, "the union of the instances' records is the single run's");
}

/// Run `source` with `args` into a keeping scripted sink; the records as strings.
async fn run_source(cfg: LoadPlan, source: Source) -> (RunOutput, Vec<String>) {
    let sink = Arc::new(Sink::Scripted(Scripted {
        keep: true,
        ..Scripted::default()
    }));
    let out = run(
        &cfg,
        Arc::new(source),
        Keys::default(),
        Arc::clone(&sink),
        std::future::pending(),
        &mut |_| {},
    )
    .await
    .expect("runs");
    let records = scripted(&sink)
        .records
        .lock()
        .unwrap()
        .iter()
        .map(|r| String::from_utf8(r.clone()).unwrap())
        .collect();
    (out, records)
}

fn csv_source(dir: &tempfile::TempDir, text: &str, looped: bool, on_bad_row: crate::replay::OnBadRow) -> Source {
    let path = dir.path().join("rows.csv");
    std::fs::write(&path, text).unwrap();
    let spec = crate::replay::ReplaySpec {
        path,
        format: crate::replay::Format::Csv,
        looped,
        on_bad_row,
    };
    Source::replay(crate::replay::Feed::open(&spec).unwrap(), None).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_replay_sends_every_row_in_order_then_ends_and_counts_skipped_rows() {
    let dir = tempfile::tempdir().unwrap();
    let src = csv_source(&dir, "a,b\n1,x\n2\n3,z\n4,w\n", false, crate::replay::OnBadRow::Skip);
    let (out, records) = run_source(with_workers(at(100.0), 2), src).await;
    assert_eq!(
        records,
        [
            "{\"a\":1,\"b\":\"x\"}\n",
            "{\"a\":3,\"b\":\"z\"}\n",
            "{\"a\":4,\"b\":\"w\"}\n"
        ]
    );
    assert_eq!(out.report.stopped_by, StopReason::EndOfInput);
    let input = out.report.input.as_ref().expect("input summary");
    assert_eq!((input.rows, input.bad_rows, input.passes), (3, 1, 1));
    assert!(input.bad_examples[0].ends_with("rows.csv:3: 1 fields, but the header has 2"));
    assert_eq!(out.report.outcome.exit_code, 0);
}

#[tokio::test(start_paused = true)]
async fn a_bad_row_stops_a_replay_that_must_not_skip_and_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let src = csv_source(&dir, "a,b\n1,x\n2\n3,z\n", false, crate::replay::OnBadRow::Fail);
    let (out, records) = run_source(at(100.0), src).await;
    assert_eq!(records, ["{\"a\":1,\"b\":\"x\"}\n"]);
    assert_eq!(out.report.stopped_by, StopReason::Error);
    assert_eq!(out.report.outcome.exit_code, 1);
    assert!(
        out.report.outcome.reasons.iter().any(|r| r.contains("rows.csv:3")),
        "{:?}",
        out.report.outcome.reasons
    );
}

#[tokio::test(start_paused = true)]
async fn a_looping_replay_runs_until_its_count_and_instances_split_rows() {
    let dir = tempfile::tempdir().unwrap();
    let text = "n\n0\n1\n2\n";
    let src = csv_source(&dir, text, true, crate::replay::OnBadRow::Fail);
    let (out, records) = run_source(
        LoadPlan {
            count: Some(7),
            ..at(1000.0)
        },
        src,
    )
    .await;
    assert_eq!(
        records.concat(),
        "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n{\"n\":0}\n"
    );
    assert_eq!(out.report.input.as_ref().unwrap().passes, 2);
    let mut union = Vec::new();
    for i in 0..2 {
        let src = csv_source(&dir, text, true, crate::replay::OnBadRow::Fail);
        let (_, r) = run_source(instance_of(1000.0, 7, i, 2), src).await;
        union.extend(r);
    }
    union.sort();
    let mut want = records.clone();
    want.sort();
    assert_eq!(union, want);
}

#[tokio::test(start_paused = true)]
async fn a_replay_through_a_template_reads_the_rows_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.csv");
    std::fs::write(&path, "sym,px\nAAPL,1.50\nMSFT,\n").unwrap();
    let opts = crate::template::Options {
        row_fields: Some(vec!["sym".into(), "px".into()]),
        ..crate::template::Options::default()
    };
    let t = Template::compile("{{row.sym}}={{row.px}} #{{seq}} {{row}}", "t", &opts).unwrap();
    let spec = crate::replay::ReplaySpec {
        path,
        format: crate::replay::Format::Csv,
        looped: false,
        on_bad_row: crate::replay::OnBadRow::Fail,
    };
    let src = Source::replay(crate::replay::Feed::open(&spec).unwrap(), Some(t)).unwrap();
    let (_, records) = run_source(at(100.0), src).await;
    assert_eq!(
        records,
        [
            "AAPL=1.50 #0 {\"sym\":\"AAPL\",\"px\":1.50}\n",
            "MSFT=null #1 {\"sym\":\"MSFT\",\"px\":null}\n"
        ]
    );
    let e = Template::compile("{{row.price}}", "t", &opts).unwrap_err();
    assert!(
        e.message.contains("no column `price`") && e.message.contains("sym, px"),
        "{e}"
    );
}

#[tokio::test(start_paused = true)]
async fn duplicates_send_a_share_of_records_twice_back_to_back() {
    let (out, records) = run_source(
        LoadPlan {
            count: Some(2000),
            shaping: plan::Shaping {
                duplicates: 0.1,
                ..plan::Shaping::default()
            },
            ..at(10_000.0)
        },
        Source::single(Template::compile("r{{seq}}", "t", &crate::template::Options::default()).unwrap()),
    )
    .await;
    let d = out.report.totals.duplicates;
    assert!((150..250).contains(&d), "{d} duplicates of 2000 at 10%");
    assert_eq!(records.len() as u64, 2000 + d);
    assert_eq!(out.report.totals.delivered, 2000 + d);
    let mut seen = std::collections::HashMap::new();
    for r in &records {
        *seen.entry(r.clone()).or_insert(0u32) += 1;
    }
    assert_eq!(seen.len(), 2000);
    assert_eq!(seen.values().filter(|c| **c == 2).count() as u64, d);
    // Each copy follows its original directly (one worker here: records arrive in order).
    let twice: Vec<usize> = (1..records.len()).filter(|&i| records[i] == records[i - 1]).collect();
    assert_eq!(twice.len() as u64, d);
}

#[tokio::test(start_paused = true)]
async fn a_stop_during_the_start_at_wait_ends_the_run_at_once() {
    let plan = LoadPlan {
        start_at_ms: Some(jiff::Timestamp::now().as_millisecond() + 3_600_000),
        count: Some(100),
        ..at(1000.0)
    };
    let start = Instant::now();
    let (out, sink) = run_with(&plan, Scripted::default(), std::future::ready(())).await;
    assert!(
        start.elapsed() < Duration::from_secs(3600),
        "did not wait for --start-at"
    );
    assert_eq!(out.report.stopped_by, StopReason::Interrupt);
    assert_eq!(out.report.totals.offered, 0);
    assert!(scripted(&sink).seen.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_stalled_destination_drains_for_the_timeout_then_counts_what_is_pending() {
    // Each batch takes a minute: with -d 2s and a 3 s drain, the run ends at 5 s and the batches
    // still in flight fail as DrainTimeout.
    let cfg = LoadPlan {
        duration: secs(2),
        drain_timeout: Duration::from_secs(3),
        ..with_workers(at(100.0), 4)
    };
    let (out, took) = run_slow(&cfg, Duration::from_secs(60)).await;
    assert_eq!(took, Duration::from_secs(5), "the duration plus the drain");
    let r = &out.report;
    assert_eq!(r.stopped_by, StopReason::Duration);
    assert_eq!(r.totals.delivered, 0);
    assert!(r.totals.offered > 0);
    assert_eq!(
        r.totals.failed, r.totals.offered,
        "every pending record is accounted for"
    );
    assert_eq!(r.errors.get(DRAIN_TIMEOUT), Some(&r.totals.offered));
    let drain = r.drain.expect("a drain");
    assert_eq!(
        (drain.ms, drain.timeout_ms, drain.cut_off),
        (3000.0, 3000.0, r.totals.offered)
    );
    assert_eq!(r.outcome.exit_code, 1);
}

#[tokio::test(start_paused = true)]
async fn a_paced_run_far_behind_schedule_stops_claiming_soon_after_its_duration() {
    // One task, 200 ms per batch of at most 10 records: 50 records/s against a target of
    // 1,000/s. The backlog is not worked off after the duration.
    let cfg = LoadPlan {
        duration: secs(2),
        batch_size: NonZeroUsize::new(10).expect("non-zero"),
        ..at(1000.0)
    };
    let (out, took) = run_slow(&cfg, Duration::from_millis(200)).await;
    assert!(took <= Duration::from_millis(3200), "{took:?}");
    let r = &out.report;
    assert_eq!(r.totals.delivered, r.totals.offered);
    assert!(r.totals.offered < 200, "{}", r.totals.offered);
    assert_eq!(r.drain.map(|d| d.cut_off), Some(0));
    assert_eq!(r.outcome.exit_code, 0);
}

#[tokio::test(start_paused = true)]
async fn a_run_on_time_ends_with_its_schedule_and_sends_exactly_its_records() {
    let cfg = LoadPlan {
        duration: secs(3),
        ..with_workers(at(1000.0), 2)
    };
    let (out, _) = run_with(&cfg, Scripted::default(), std::future::pending()).await;
    let r = &out.report;
    assert_eq!((r.totals.offered, r.totals.delivered), (3000, 3000));
    assert_eq!(r.drain, None, "the last record went out before the planned end");
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_starts_the_drain_and_the_live_view_says_so() {
    let cfg = LoadPlan {
        drain_timeout: Duration::from_secs(4),
        ..with_workers(at(100.0), 2)
    };
    let sink = Arc::new(Sink::Scripted(Scripted {
        delay: Duration::from_secs(30),
        ..Scripted::default()
    }));
    let mut draining = Vec::new();
    let started = Instant::now();
    let out = run(
        &cfg,
        template(),
        Keys::default(),
        sink,
        tokio::time::sleep(Duration::from_secs(1)),
        &mut |live| draining.extend(live.draining),
    )
    .await
    .expect("runs");
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    assert_eq!(out.report.stopped_by, StopReason::Interrupt);
    assert_eq!(out.report.errors.get(DRAIN_TIMEOUT), Some(&out.report.totals.offered));
    assert!(!draining.is_empty());
    assert!(draining.iter().all(|left| *left <= Duration::from_secs(4)));
}

#[tokio::test(start_paused = true)]
async fn at_a_slow_rate_each_record_reaches_the_file_within_the_linger() {
    // 5 records/s to a file: a record is in the file as soon as its batch is sent, not when
    // some buffer fills.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out");
    let cfg = LoadPlan {
        count: Some(5),
        ..at(5.0)
    };
    let sink = Arc::new(Sink::file(&path).unwrap());
    let start = Instant::now();
    let mut seen = Vec::new();
    let out = run(
        &cfg,
        template(),
        Keys::default(),
        sink,
        std::future::pending(),
        &mut |_| {
            let lines = std::fs::read_to_string(&path).unwrap().lines().count();
            seen.push((start.elapsed(), lines));
        },
    )
    .await
    .expect("runs");
    assert_eq!(out.report.totals.delivered, 5);
    assert!(seen.len() >= 3, "{seen:?}");
    for (at, lines) in seen {
        // Record n is due at n / 5 s; by `at` every record due a linger earlier is written.
        let due = ((at.saturating_sub(cfg.linger)).as_secs_f64() * 5.0).floor() as usize + 1;
        assert!(lines >= due.min(5), "at {at:?}: {lines} lines in the file, {due} due");
    }
}

#[tokio::test(start_paused = true)]
async fn the_live_view_shows_the_ramps_current_target_and_a_steady_now_rate() {
    let cfg = LoadPlan {
        rate: Rate::Profile(Profile::parse_ramp("100..1100/10s").expect("a ramp")),
        duration: secs(4),
        ..at(1.0)
    };
    let mut views = Vec::new();
    run(
        &cfg,
        template(),
        Keys::default(),
        Arc::new(Sink::Scripted(Scripted::default())),
        std::future::pending(),
        &mut |live| views.push((live.elapsed, live.target_now, live.rps_now)),
    )
    .await
    .expect("runs");
    assert!(views.len() >= 12, "{}", views.len());
    for (elapsed, target, _) in &views {
        let want = 100.0 + 100.0 * elapsed.as_secs_f64();
        let got = target.expect("paced");
        assert!((got - want).abs() < 1.0, "at {elapsed:?}: target {got}, ramp {want}");
    }
    // Over a whole second, the delivered rate is the ramp's mean over that second (within a
    // batch's worth), not a 250 ms sample.
    for (elapsed, _, now) in views.iter().filter(|(e, _, _)| *e >= Duration::from_secs(2)) {
        let mid = elapsed.as_secs_f64() - 0.5;
        let want = 100.0 + 100.0 * mid;
        assert!(
            (now - want).abs() < want * 0.05,
            "at {elapsed:?}: now {now}/s, ramp mean {want}/s"
        );
    }
}

/// Issue 18: rates no machine can honour still end at the duration. A sink taking 200 ms per
/// batch of at most 10 records keeps the run far behind; it stops claiming one second after the
/// planned end (`LATE_RECORDS`) whatever the rate, and the pacer's arithmetic stays finite.
#[tokio::test(start_paused = true)]
async fn extreme_rates_end_soon_after_the_duration_with_a_report() {
    let ramp = |to: f64| Profile::Ramp {
        from: 1.0,
        to,
        over: Duration::from_secs(1),
    };
    let steps = Profile::Steps {
        rates: vec![1.0, 1e9],
        hold: Duration::from_secs(1),
    };
    let cases = [
        (
            Rate::Profile(ramp(schedule::MAX_RATE)),
            Pacing::Smooth,
            Arrivals::Uniform,
        ),
        (Rate::Profile(ramp(1e9)), Pacing::Smooth, Arrivals::Poisson),
        (Rate::Profile(steps), Pacing::Smooth, Arrivals::Uniform),
        (Rate::per_second(1e9), Pacing::Burst, Arrivals::Uniform),
        (Rate::per_second(schedule::MAX_RATE), Pacing::Smooth, Arrivals::Poisson),
    ];
    for (rate, pacing, arrivals) in cases {
        let what = format!("{rate:?} {pacing:?} {arrivals:?}");
        let cfg = LoadPlan {
            duration: secs(2),
            batch_size: NonZeroUsize::new(10).expect("non-zero"),
            rate,
            pacing,
            arrivals,
            seed: 1,
            ..LoadPlan::default()
        };
        let (out, took) = run_slow(&cfg, Duration::from_millis(200)).await;
        assert!(took <= Duration::from_millis(3200), "{what}: {took:?}");
        let r = &out.report;
        assert_eq!(r.stopped_by, StopReason::Duration, "{what}");
        assert!(
            r.totals.offered > 0 && r.totals.offered < 200,
            "{what}: {}",
            r.totals.offered
        );
        assert_eq!(r.totals.delivered, r.totals.offered, "{what}");
    }
}

/// A ramp from zero used to make record 0 due at 0/0 (NaN), which ended the run before it began.
#[tokio::test(start_paused = true)]
async fn a_ramp_from_zero_sends_records() {
    let cfg = LoadPlan {
        duration: secs(2),
        rate: Rate::Profile(Profile::Ramp {
            from: 0.0,
            to: 100.0,
            over: Duration::from_secs(2),
        }),
        seed: 1,
        ..LoadPlan::default()
    };
    let (out, _) = run_with(&cfg, Scripted::default(), std::future::pending()).await;
    // The area of the triangle: 100 records by the end of the ramp.
    assert!(
        out.report.totals.delivered.abs_diff(100) <= 1,
        "{}",
        out.report.totals.delivered
    );
}

/// A record whose rendering reaches the record cap is rejected as `RecordTooLarge` and never
/// sent; the records around it are sent as usual.
#[tokio::test(start_paused = true)]
async fn a_record_over_the_cap_is_rejected_with_its_code() {
    // About half the records render 1000 × 1000 × 100 bytes (over 64 MiB); the others `y`.
    let src = format!(
        "{{{{#if (random.boolean)}}}}{{{{#repeat 1000}}}}{{{{#repeat 1000}}}}{}{{{{/repeat}}}}{{{{/repeat}}}}{{{{else}}}}y{{{{/if}}}}",
        "x".repeat(100)
    );
    let t = Template::compile(&src, "t", &crate::template::Options::default()).expect("compiles");
    let cfg = LoadPlan {
        count: Some(8),
        ..at(1000.0)
    };
    let (out, lines) = run_source(cfg, Source::single(t)).await;
    let r = &out.report;
    assert_eq!(r.totals.offered, 8);
    assert!(r.totals.rejected > 0, "{:?}", r.totals);
    assert_eq!(r.totals.delivered + r.totals.rejected, 8);
    assert_eq!(lines.len() as u64, r.totals.delivered);
    assert!(lines.iter().all(|l| l.trim_end() == "y"), "{lines:?}");
    assert_eq!(
        r.errors.get(crate::template::RECORD_TOO_LARGE),
        Some(&r.totals.rejected)
    );
}
