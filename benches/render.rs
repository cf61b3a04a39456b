//! Rendering throughput of the template engine on the finance demo templates, the heaviest
//! KDG reference template (T6: 15 tags, nested objects, `date.past`) and the generated faker
//! values (`internet.userAgent`, `system.mimeType`, `random.word`).
//!
//! `cargo bench --bench render` reports records/s (criterion's "elem/s"), and template
//! bytes/s for compiling large generated templates (`compile/*`): the rate stays flat from
//! 64 KiB to 10 MiB when compiling is linear in the template's size.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kdg::faker::Compat;
use kdg::template::{Options, Template};

fn load(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).expect("template file")
}

fn bench_render(c: &mut Criterion) {
    let opts = Options {
        compat: Compat::Tolerant,
        tz: jiff::tz::TimeZone::UTC,
        ..Options::default()
    };
    let mut group = c.benchmark_group("render");
    group.throughput(Throughput::Elements(1));
    // The generated values (issue 14: each under 1 µs), as one-tag templates.
    let generators = [
        ("user_agent", "{{internet.userAgent}}"),
        ("mime_type", "{{system.mimeType}}"),
        ("random_word", "{{random.word}}"),
    ];
    let files = [
        ("price", "templates/price.hbs"),
        ("transaction", "templates/transaction.hbs"),
        ("kdg_t6", "tests/fixtures/kdg/t6.txt"),
        ("clickstream", "templates/clickstream.hbs"),
    ];
    let sources = files
        .iter()
        .map(|(name, path)| (*name, load(path)))
        .chain(generators.iter().map(|(name, src)| (*name, src.to_string())));
    for (name, src) in sources {
        let t = Template::compile(&src, name, &opts).expect("compiles");
        let mut ctx = t.context(42, "bench");
        let mut buf = Vec::with_capacity(4096);
        let mut n = 0u64;
        // One clock reading per 1000 records, as a worker does per batch.
        let now = jiff::Timestamp::now().as_millisecond();
        group.bench_function(name, |b| {
            b.iter(|| {
                buf.clear();
                n += 1;
                t.render(&mut ctx, n, now + (n / 1000) as i64, &mut buf);
                black_box(&buf);
            })
        });
    }
    group.finish();
}

fn bench_compile(c: &mut Criterion) {
    let opts = Options::default();
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    let t6 = load("tests/fixtures/kdg/t6.txt");
    // 10 MiB is the largest template kdg takes (`MAX_TEMPLATE_BYTES`).
    for kib in [64usize, 1024, 10 * 1024] {
        for (name, unit) in [
            ("seq", "{{seq}},"),
            ("seq_lines", "{{seq}}\n"),
            ("first_name", "{{name.firstName}},"),
            ("kdg_t6", t6.as_str()),
        ] {
            let src = unit.repeat(kib * 1024 / unit.len());
            group.throughput(Throughput::Bytes(src.len() as u64));
            group.bench_function(format!("{name}_{kib}KiB"), |b| {
                b.iter(|| black_box(Template::compile(&src, "big", &opts).expect("compiles")))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_render, bench_compile);
criterion_main!(benches);
