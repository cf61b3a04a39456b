#!/usr/bin/env node
// kdg peer: how fast KDG's own template engine renders records, outside the browser.
//
// KDG renders each record with `faker.fake(template)` from faker.js 3.1.0, plus its
// `date.now(fmt)` = `moment().format(fmt)` addition (moment 2.17.1). This harness loads those
// exact npm versions, adds `date.now`, cleans the template the way KDG does (trim, delete line
// feeds, first `{{current.timestamp}}` -> `{{date.now}}`; docs/templates.md#clean-up) and times
// one of three per-record loops:
//
//   render   faker.fake(template) only
//   kdgloop  KDG's per-record work without the network: + "\n", a {Data, PartitionKey} object
//            with a random 10-digit key, collected in batches of 500 that are then dropped
//   devnull  faker.fake(template) + "\n", written to /dev/null in ~64 KiB chunks
//
// Setup and use:
//   npm install --prefix /tmp/np faker@3.1.0 moment@2.17.1
//   NODE_PATH=/tmp/np/node_modules node bench_node_kdg.js -t price|transaction|all \
//       -m render|kdgloop|devnull|all -s SECONDS -r RUNS [-n N] [--json]
//
// Each configuration is calibrated (also the JIT warm-up) so a timed run lasts about SECONDS,
// then timed RUNS times. With --json each prints one JSON line including `median_rec_s`.
'use strict';

const fs = require('fs');

const TEMPLATES = {
  price: '{"instrument_id": {{random.number(50)}}, "price": {{random.number({"min":1,"max":15})}}, '
    + '"ts": "{{date.now}}"}',
  transaction: '{"book_id": {{random.number({"min":1,"max":10})}}, '
    + '"trader_id": {{random.number({"min":1,"max":20})}}, '
    + '"instrument_id": {{random.number({"min":1,"max":50})}}, '
    + '"qty": {{random.number({"min":1000,"max":5000})}}, '
    + '"price": {{random.number({"min":1,"max":15})}}, "ts": "{{date.now}}"}',
};

function options(argv) {
  const o = { template: 'all', mode: 'all', seconds: 5, runs: 3, n: 0, json: false };
  const take = (i) => {
    if (i >= argv.length) throw new Error(`${argv[i - 1]} needs a value`);
    return argv[i];
  };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '-t': case '--template': o.template = take(++i); break;
      case '-m': case '--mode': o.mode = take(++i); break;
      case '-s': case '--seconds': o.seconds = Number(take(++i)); break;
      case '-r': case '--runs': o.runs = Number(take(++i)); break;
      case '-n': o.n = Number(take(++i)); break;
      case '--json': o.json = true; break;
      default: throw new Error(`unknown option ${argv[i]} (see the header of ${__filename})`);
    }
  }
  return o;
}

const faker = require('faker');
const moment = require('moment');
// KDG's addition, re-stated: the record's time in the local zone, in a moment format.
faker.date.now = (format) => moment().format(format);

function clean(template) {
  return template.trim().replace(/\n/g, '').replace('{{current.timestamp}}', '{{date.now}}');
}

// Each loop renders n records and returns something derived from them, so no work is elided.
const LOOPS = {
  render: (t) => (n) => {
    let chars = 0;
    for (let i = 0; i < n; i++) chars += faker.fake(t).length;
    return chars;
  },
  kdgloop: (t) => (n) => {
    let batch = [];
    let sent = 0;
    for (let i = 0; i < n; i++) {
      batch.push({ Data: faker.fake(t) + '\n', PartitionKey: String(Math.floor(Math.random() * 1e10)) });
      if (batch.length === 500) { sent += batch.length; batch = []; }
    }
    return sent + batch.length;
  },
  devnull: (t) => {
    const fd = fs.openSync('/dev/null', 'w');
    return (n) => {
      let chunk = '';
      for (let i = 0; i < n; i++) {
        chunk += faker.fake(t) + '\n';
        if (chunk.length >= 65536) { fs.writeSync(fd, chunk); chunk = ''; }
      }
      if (chunk) fs.writeSync(fd, chunk);
      return n;
    };
  },
};

function seconds(loop, n) {
  const t0 = process.hrtime.bigint();
  loop(n);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function measure(name, mode, o) {
  const template = clean(TEMPLATES[name]);
  const examples = Array.from({ length: 1000 }, () => faker.fake(template));
  examples.forEach((s) => JSON.parse(s)); // every record must be valid JSON
  const avgBytes = examples.reduce((sum, s) => sum + Buffer.byteLength(s), 0) / examples.length;
  const loop = LOOPS[mode](template);
  let n = o.n;
  if (n) {
    seconds(loop, Math.min(n, 10000));
  } else {
    n = 10000;
    let dt = seconds(loop, n);
    while (dt < 0.25) { n *= 2; dt = seconds(loop, n); }
    n = Math.max(1000, Math.round(n * o.seconds / dt));
  }
  const rates = [];
  for (let r = 0; r < o.runs; r++) rates.push(n / seconds(loop, n));
  const med = median(rates);
  return {
    peer: 'node-kdg',
    node: process.version,
    faker: require('faker/package.json').version,
    moment: moment.version,
    template: name,
    mode,
    n,
    runs_rec_s: rates.map(Math.round),
    median_rec_s: Math.round(med),
    avg_bytes: Math.round(avgBytes * 10) / 10,
    median_MB_s: Math.round(med * (avgBytes + 1) / 1e4) / 100,
    example: examples[0],
  };
}

function main() {
  const o = options(process.argv.slice(2));
  const names = o.template === 'all' ? Object.keys(TEMPLATES) : [o.template];
  const modes = o.mode === 'all' ? Object.keys(LOOPS) : [o.mode];
  for (const name of names) {
    if (!TEMPLATES[name]) throw new Error(`unknown template ${name}`);
    for (const mode of modes) {
      if (!LOOPS[mode]) throw new Error(`unknown mode ${mode}`);
      const r = measure(name, mode, o);
      if (o.json) {
        console.log(JSON.stringify(r));
      } else {
        console.log(`${name.padEnd(12)} ${mode.padEnd(8)} n=${r.n}  median ${r.median_rec_s} rec/s  `
          + `runs=[${r.runs_rec_s.join(', ')}]  ${r.avg_bytes} B/rec  ${r.median_MB_s} MB/s`);
        console.log(`    e.g. ${r.example}`);
      }
    }
  }
}

main();
