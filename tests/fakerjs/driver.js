// The differential-test oracle (tests/it/fidelity.rs): faker.js 3.1.0 with KDG's additions
// (docs/templates.md#kdg-additions), as KDG's browser page runs it.
//
//   node tests/fakerjs/driver.js CASES.json   (NODE_PATH names the directory holding faker and moment)
//
// CASES.json is {"n": N, "cases": [{"id": "...", "tpl": "{{ns.method(ARG)}}"} |
//                                  {"id": "...", "call": "ns.method", "args": [...]}]}.
// Prints one JSON object: id -> {"values": [N strings]} or {"error": "message"}. A `tpl` case is
// rendered with KDG's fake(), a `call` case calls the method directly with several arguments
// (what a tolerant comma list means). Values are String(result), as KDG inserts them.
'use strict';
const fs = require('fs');
const faker = require('faker');
const moment = require('moment');

// Fixed seeds, so that the oracle draws the same values on every run and the differential test
// is deterministic: faker's own generator, and Math.random for KDG's additions below.
faker.seed(20261202);
Math.random = (function mulberry32(seed) {
  return function () {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
})(20261202);

// --- KDG's additions, re-implemented from their documented behaviour -------------------------

faker.date.now = function (fmt) { return moment().format(fmt); };
faker.date.utc = function (fmt) { return moment().utc().format(fmt); };
faker.date.simTime = function (fmt) { return faker.simTime.format(fmt); };

faker.random.weightedArrayElement = function (opts) {
  opts = opts || { weights: [0.5, 0.5], data: ['dog', 'cat'] };
  const total = opts.weights.reduce((a, b) => a + b);
  const r = Math.random() * total;
  let cum = 0;
  for (let i = 0; i < opts.data.length; i++) {
    cum = +(cum + opts.weights[i]).toFixed(2);
    if (r <= cum) return opts.data[i];
  }
  return undefined;
};

faker.internet.session = function () {
  const lo = 1007199254740991;
  return Math.random() * (Number.MAX_SAFE_INTEGER - lo) + lo;
};

faker.address.nearbyGPSCoordinate = function (opts) {
  const coordinate = opts.coordinate || [faker.address.latitude(), faker.address.longitude()];
  let radius = opts.radius === undefined ? 10 : opts.radius;
  if (opts.isMetric === false) radius *= 0.621371;
  const rad = (d) => (d * Math.PI) / 180;
  const deg = (r) => (r * 180) / Math.PI;
  const bearing = Math.random() * 2 * Math.PI;
  const d = radius / 6378.137;
  const lat1 = rad(+coordinate[0]);
  const lon1 = rad(+coordinate[1]);
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(bearing));
  const lon2 = lon1 + Math.atan2(Math.sin(bearing) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
  return [deg(lat2).toFixed(4), deg(lon2).toFixed(4)];
};

// KDG's fix: the digits come from faker.random.number, not from `this`.
faker.random.uuid = function () {
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (p) => {
    const v = faker.random.number({ min: 0, max: 15 });
    return (p === 'x' ? v : (v & 0x3) | 0x8).toString(16);
  });
};

// fake() as KDG ships it: lone braces pass through (`||` where upstream has `&&`).
faker.fake = function fake(str) {
  if (typeof str !== 'string' || str.length === 0) return 'string parameter is required!';
  const start = str.search('{{');
  const end = str.search('}}');
  if (start === -1 || end === -1) return str;
  const token = str.substr(start + 2, end - start - 2);
  let method = token.replace('}}', '').replace('{{', '');
  const re = /\(([^)]+)\)/;
  const m = re.exec(method);
  let params = '';
  if (m) {
    method = method.replace(re, '');
    params = m[1];
  }
  const parts = method.split('.');
  if (typeof faker[parts[0]] === 'undefined') throw new Error('Invalid module: ' + parts[0]);
  if (typeof faker[parts[0]][parts[1]] === 'undefined') throw new Error('Invalid method: ' + parts[0] + '.' + parts[1]);
  const fn = faker[parts[0]][parts[1]];
  let arg;
  try { arg = JSON.parse(params); } catch (e) { arg = params; }
  const result = typeof arg === 'string' && arg.length === 0 ? fn.call(this) : fn.call(this, arg);
  return fake(str.replace('{{' + token + '}}', result));
};

// --- the cases --------------------------------------------------------------------------------

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = {};
for (const c of spec.cases) {
  try {
    const values = new Array(spec.n);
    if (c.tpl !== undefined) {
      // KDG's getCleanedTemplate: trim, delete line feeds.
      const tpl = c.tpl.trim().replace(/\n/g, '');
      for (let i = 0; i < spec.n; i++) values[i] = String(faker.fake(tpl));
    } else {
      const [ns, name] = c.call.split('.');
      const fn = faker[ns][name];
      for (let i = 0; i < spec.n; i++) values[i] = String(fn.apply(faker[ns], c.args));
    }
    out[c.id] = { values };
  } catch (e) {
    out[c.id] = { error: String(e && e.message) };
  }
}
process.stdout.write(JSON.stringify(out));
