//! The `address` namespace of faker.js 3.1.0 as bundled by KDG (`docs/templates.md#namespaces`).

use fake::locales::{Data, EN};
use serde_json::Value;

use super::data;
use super::helpers::{flag, num, params, text, write_digits, Symbols};
use super::name::{write_first, write_last};
use super::{boxed, write_int, write_js_fixed, ArgError, Args, BuildCtx, Builder, Ctx, Gen};

/// The methods of `address`.
pub const METHODS: &[&str] = &[
    "zipCode",
    "city",
    "cityPrefix",
    "citySuffix",
    "streetName",
    "streetAddress",
    "streetSuffix",
    "streetPrefix",
    "secondaryAddress",
    "county",
    "country",
    "countryCode",
    "state",
    "stateAbbr",
    "latitude",
    "longitude",
    "nearbyGPSCoordinate",
];

/// The builder for `address.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    Some(match method {
        "zipCode" => zip_code,
        "city" => city,
        "cityPrefix" => crate::pick_from!(EN::ADDRESS_CITY_PREFIX),
        "citySuffix" => crate::pick_from!(EN::ADDRESS_CITY_SUFFIX),
        "streetName" => crate::no_args!(write_street_name),
        "streetAddress" => street_address,
        "streetSuffix" => crate::pick_from!(EN::ADDRESS_STREET_SUFFIX),
        // The `en` locale has no street prefixes: faker falls back to ["a","b","c"].
        "streetPrefix" => crate::pick_from!(data::STREET_PREFIX),
        "secondaryAddress" => crate::no_args!(write_secondary_address),
        "county" => crate::pick_from!(data::COUNTY),
        "country" => crate::pick_from!(EN::ADDRESS_COUNTRY),
        "countryCode" => crate::pick_from!(EN::ADDRESS_COUNTRY_CODE),
        "state" => state,
        "stateAbbr" => crate::pick_from!(EN::ADDRESS_STATE_ABBR),
        "latitude" => crate::no_args!(write_latitude),
        "longitude" => crate::no_args!(write_longitude),
        "nearbyGPSCoordinate" => nearby_gps_coordinate,
        _ => return None,
    })
}

/// `zipCode()`: a US ZIP (`#####` or `#####-####`).
fn write_zip(ctx: &mut Ctx, out: &mut Vec<u8>) {
    let f = ctx.pick(data::ZIP_FORMATS);
    super::write_symbols(ctx, f, out);
}

fn zip_code(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [format] = params(args, ["format"], false)?;
    match text(&format, "format")? {
        // faker runs the format through `replaceSymbols`: `#` a digit, `?` a capital letter.
        Some(f) => boxed(Symbols::digits_and_letters(f)),
        None => boxed(write_zip),
    }
}

/// `city(format)`: one of faker's four city shapes, chosen per record unless `format` fixes it.
struct City(Option<u8>);

impl Gen for City {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let format = match self.0 {
            Some(f) => f,
            None => ctx.int(0, 3) as u8,
        };
        match format {
            0 => {
                out.extend_from_slice(ctx.pick(EN::ADDRESS_CITY_PREFIX).as_bytes());
                out.push(b' ');
                write_first(ctx, out);
                out.extend_from_slice(ctx.pick(EN::ADDRESS_CITY_SUFFIX).as_bytes());
            }
            1 => {
                out.extend_from_slice(ctx.pick(EN::ADDRESS_CITY_PREFIX).as_bytes());
                out.push(b' ');
                write_first(ctx, out);
            }
            2 => {
                write_first(ctx, out);
                out.extend_from_slice(ctx.pick(EN::ADDRESS_CITY_SUFFIX).as_bytes());
            }
            _ => {
                write_last(ctx, out);
                out.extend_from_slice(ctx.pick(EN::ADDRESS_CITY_SUFFIX).as_bytes());
            }
        }
    }
}

fn city(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [format] = params(args, ["format"], false)?;
    let format = match &format {
        None => None,
        Some(v) => match v.as_u64() {
            Some(f @ 0..=3) => Some(f as u8),
            _ => {
                return Err(ArgError::new(format!(
                    "`format` must be 0 (\"North Annaview\"), 1 (\"North Anna\"), 2 (\"Annaview\") or \
                     3 (\"Smithview\"), got {v}"
                )))
            }
        },
    };
    boxed(City(format))
}

/// `streetName()`: a first or last name followed by a street suffix.
pub(crate) fn write_street_name(ctx: &mut Ctx, out: &mut Vec<u8>) {
    let suffix = ctx.pick(EN::ADDRESS_STREET_SUFFIX);
    if ctx.int(0, 1) == 0 {
        write_last(ctx, out);
    } else {
        write_first(ctx, out);
    }
    out.push(b' ');
    out.extend_from_slice(suffix.as_bytes());
}

/// `secondaryAddress()`: "Apt. 123" or "Suite 456".
pub(crate) fn write_secondary_address(ctx: &mut Ctx, out: &mut Vec<u8>) {
    let f = ctx.pick(data::SECONDARY_ADDRESS);
    super::write_symbols(ctx, f, out);
}

/// `streetAddress(useFullAddress)`: a 3 to 5 digit number and a street name, then a
/// secondary address when `useFullAddress` is set.
struct StreetAddress(bool);

impl Gen for StreetAddress {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let digits = 5 - ctx.int(0, 2) as usize;
        write_digits(ctx, out, digits);
        out.push(b' ');
        write_street_name(ctx, out);
        if self.0 {
            out.push(b' ');
            write_secondary_address(ctx, out);
        }
    }
}

fn street_address(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [full] = params(args, ["useFullAddress"], false)?;
    boxed(StreetAddress(flag(&full, "useFullAddress")?.unwrap_or(false)))
}

fn state(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    // faker 3.1.0 ignores `useAbbr`: use `address.stateAbbr` for abbreviations.
    let [abbr] = params(args, ["useAbbr"], false)?;
    flag(&abbr, "useAbbr")?;
    boxed(super::Pick(EN::ADDRESS_STATE))
}

/// Append a number of ten-thousandths as a decimal with 4 places (`-12.3456`).
fn write_fixed4(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    let a = v.unsigned_abs();
    write_int(out, (a / 10_000) as i64);
    out.push(b'.');
    let frac = a % 10_000;
    out.extend_from_slice(&[
        b'0' + (frac / 1000) as u8,
        b'0' + (frac / 100 % 10) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ]);
}

/// `latitude()`: `(random.number(1800000) / 10000 - 90).toFixed(4)`, in `-90.0000..=90.0000`.
pub(crate) fn write_latitude(ctx: &mut Ctx, out: &mut Vec<u8>) {
    let v = ctx.int(0, 1_800_000) - 900_000;
    write_fixed4(out, v);
}

/// `longitude()`: `(random.number(3600000) / 10000 - 180).toFixed(4)`, in `-180.0000..=180.0000`.
pub(crate) fn write_longitude(ctx: &mut Ctx, out: &mut Vec<u8>) {
    let v = ctx.int(0, 3_600_000) - 1_800_000;
    write_fixed4(out, v);
}

/// Earth's radius in km, as KDG's `nearbyGPSCoordinate` uses it.
const R_EARTH_KM: f64 = 6378.137;

/// `nearbyGPSCoordinate`, compiled: the centre and the angular distance, precomputed.
struct Nearby {
    lon1: f64,
    sin_lat1: f64,
    cos_lat1: f64,
    sin_d: f64,
    cos_d: f64,
}

impl Nearby {
    fn new(lat: f64, lon: f64, distance_km: f64) -> Nearby {
        let (lat1, lon1) = (lat.to_radians(), lon.to_radians());
        let d = distance_km / R_EARTH_KM;
        Nearby {
            lon1,
            sin_lat1: lat1.sin(),
            cos_lat1: lat1.cos(),
            sin_d: d.sin(),
            cos_d: d.cos(),
        }
    }

    /// The point at the configured distance on `bearing` (radians), in degrees.
    fn at(&self, bearing: f64) -> (f64, f64) {
        let lat2 = (self.sin_lat1 * self.cos_d + self.cos_lat1 * self.sin_d * bearing.cos()).asin();
        let mut lon2 =
            self.lon1 + (bearing.sin() * self.sin_d * self.cos_lat1).atan2(self.cos_d - self.sin_lat1 * lat2.sin());
        let pi = std::f64::consts::PI;
        if lon2 > pi {
            lon2 -= 2.0 * pi;
        } else if lon2 < -pi {
            lon2 += 2.0 * pi;
        }
        (lat2.to_degrees(), lon2.to_degrees())
    }
}

impl Gen for Nearby {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let bearing = (ctx.unit() * 360.0).to_radians();
        let (lat, lon) = self.at(bearing);
        write_js_fixed(out, lat, 4);
        out.push(b',');
        write_js_fixed(out, lon, 4);
    }
}

fn nearby_gps_coordinate(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    const USAGE: &str = "expects {\"coordinate\":[lat,lon],\"radius\":10,\"isMetric\":true}";
    if args.is_empty() {
        return Err(ArgError::new(format!(
            "needs an argument (KDG throws without one): {USAGE}"
        )));
    }
    if !args.named.is_empty() || matches!(args.positional.as_slice(), [Value::Object(_)]) {
        let [coordinate, radius, is_metric] = params(args, ["coordinate", "radius", "isMetric"], true)?;
        let is_metric = flag(&is_metric, "isMetric")?.unwrap_or(false);
        // `radius || 10`: a radius of 0 is the default too.
        let radius = match num(&radius, "radius")? {
            None => 10.0,
            Some(0.0) => 10.0,
            Some(r) if r > 0.0 && r.is_finite() => r,
            Some(r) => {
                return Err(ArgError::new(format!(
                    "`radius` must be a positive number of km, got {r}"
                )))
            }
        };
        let Some(coordinate) = coordinate else {
            // Without a centre, faker returns a random coordinate.
            return boxed(|ctx: &mut Ctx, out: &mut Vec<u8>| {
                write_latitude(ctx, out);
                out.push(b',');
                write_longitude(ctx, out);
            });
        };
        let (lat, lon) = match coordinate.as_array().map(|a| a.as_slice()) {
            Some([lat, lon]) => match (coord_number(lat), coord_number(lon)) {
                (Some(lat), Some(lon)) if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => {
                    (lat, lon)
                }
                _ => {
                    return Err(ArgError::new(format!(
                        "`coordinate` must be [lat,lon] with lat in -90..90 and lon in -180..180, got {coordinate}"
                    )))
                }
            },
            _ => {
                return Err(ArgError::new(format!(
                    "`coordinate` must be an array [lat,lon], got {coordinate}; {USAGE}"
                )))
            }
        };
        // KDG's backport converts the radius with km-to-miles when `isMetric` is false.
        let distance = if is_metric { radius } else { radius * 0.621371 };
        return boxed(Nearby::new(lat, lon, distance));
    }
    Err(ArgError::new(format!(
        "{USAGE}, got {}",
        args.positional.first().map(|v| v.to_string()).unwrap_or_default()
    )))
}

/// A coordinate component: a number, or a numeric string (JavaScript coerces it).
fn coord_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faker::helpers::tests::{kdg, named};
    use serde_json::json;

    crate::faker::helpers::tests::namespace_test_fns!();

    #[test]
    fn zip_codes_are_five_or_nine_digits() {
        for v in render("zipCode", Args::default(), 100) {
            let ok =
                (v.len() == 5 && v.bytes().all(|b| b.is_ascii_digit())) || (v.len() == 10 && v.as_bytes()[5] == b'-');
            assert!(ok, "{v}");
        }
        for v in render("zipCode", kdg(json!("??-###")), 10) {
            let b = v.as_bytes();
            assert!(
                b[0].is_ascii_uppercase() && b[2] == b'-' && b[5].is_ascii_digit(),
                "{v}"
            );
        }
    }

    #[test]
    fn cities_follow_the_four_shapes() {
        for v in render("city", kdg(json!(1)), 20) {
            let (p, f) = v.split_once(' ').unwrap();
            assert!(
                EN::ADDRESS_CITY_PREFIX.contains(&p) && EN::NAME_FIRST_NAME.contains(&f),
                "{v}"
            );
        }
        for v in render("city", kdg(json!(3)), 20) {
            assert!(EN::ADDRESS_CITY_SUFFIX.iter().any(|s| v.ends_with(s)), "{v}");
        }
        assert!(build_err("city", kdg(json!(4))).contains("format"));
        assert!(build_err("city", kdg(json!("x"))).contains("format"));
    }

    #[test]
    fn street_addresses_have_a_number_and_a_suffix() {
        for v in render("streetAddress", Args::default(), 50) {
            let (n, rest) = v.split_once(' ').unwrap();
            assert!(
                (3..=5).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()),
                "{v}"
            );
            assert!(EN::ADDRESS_STREET_SUFFIX.iter().any(|s| rest.ends_with(s)), "{v}");
        }
        for v in render("streetAddress", kdg(json!(true)), 50) {
            assert!(v.contains(" Apt. ") || v.contains(" Suite "), "{v}");
        }
        for v in render("secondaryAddress", Args::default(), 20) {
            assert!(v.starts_with("Apt. ") || v.starts_with("Suite "), "{v}");
        }
        for v in render("streetPrefix", Args::default(), 20) {
            assert!(["a", "b", "c"].contains(&v.as_str()));
        }
        // faker ignores arguments it does not declare.
        assert_eq!(
            render("streetName", kdg(json!(1)), 3),
            render("streetName", Args::default(), 3)
        );
    }

    #[test]
    fn states_and_countries() {
        for v in render("state", kdg(json!(true)), 20) {
            assert!(EN::ADDRESS_STATE.contains(&v.as_str()));
        }
        for v in render("stateAbbr", Args::default(), 20) {
            assert_eq!(v.len(), 2);
        }
        for v in render("countryCode", Args::default(), 20) {
            assert_eq!(v.len(), 2);
        }
    }

    fn check_fixed4(v: &str, bound: f64) -> f64 {
        let (_, frac) = v.split_once('.').expect("has decimals");
        assert_eq!(frac.len(), 4, "{v}");
        let f: f64 = v.parse().unwrap();
        assert!((-bound..=bound).contains(&f), "{v}");
        f
    }

    #[test]
    fn latitude_and_longitude_have_four_decimals() {
        let lats: Vec<f64> = render("latitude", Args::default(), 1000)
            .iter()
            .map(|v| check_fixed4(v, 90.0))
            .collect();
        assert!(lats.iter().any(|v| *v < -45.0) && lats.iter().any(|v| *v > 45.0));
        let lons: Vec<f64> = render("longitude", Args::default(), 1000)
            .iter()
            .map(|v| check_fixed4(v, 180.0))
            .collect();
        assert!(lons.iter().any(|v| *v < -90.0) && lons.iter().any(|v| *v > 90.0));
        let mut out = Vec::new();
        write_fixed4(&mut out, -5);
        assert_eq!(out, b"-0.0005");
    }

    fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
        let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
        let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
        2.0 * R_EARTH_KM * h.sqrt().asin()
    }

    fn parse_pair(v: &str) -> (f64, f64) {
        let (a, b) = v.split_once(',').unwrap();
        (check_fixed4(a, 90.0), check_fixed4(b, 180.0))
    }

    #[test]
    fn nearby_points_sit_at_the_radius() {
        let centre = (47.6062, -122.3321);
        for v in render(
            "nearbyGPSCoordinate",
            kdg(json!({"coordinate": [47.6062, -122.3321], "radius": 5, "isMetric": true})),
            200,
        ) {
            let d = haversine_km(centre, parse_pair(&v));
            assert!((d - 5.0).abs() < 0.02, "{v}: {d}");
        }
        // Not metric: the radius is multiplied by 0.621371.
        for v in render(
            "nearbyGPSCoordinate",
            kdg(json!({"coordinate": ["47.6062", -122.3321]})),
            200,
        ) {
            let d = haversine_km(centre, parse_pair(&v));
            assert!((d - 6.21371).abs() < 0.02, "{v}: {d}");
        }
        for v in render(
            "nearbyGPSCoordinate",
            named(json!({"coordinate": [0, 179.99], "radius": 50, "isMetric": true})),
            200,
        ) {
            let (_, lon) = parse_pair(&v);
            assert!((-180.0..=180.0).contains(&lon));
        }
        for v in render("nearbyGPSCoordinate", kdg(json!({"radius": 3})), 20) {
            parse_pair(&v);
        }
        assert!(build_err("nearbyGPSCoordinate", Args::default()).contains("needs an argument"));
        assert!(build_err("nearbyGPSCoordinate", kdg(json!([1, 2]))).contains("coordinate"));
        assert!(build_err("nearbyGPSCoordinate", kdg(json!({"coordinate": [95, 2]}))).contains("lat"));
        assert!(build_err("nearbyGPSCoordinate", kdg(json!({"coordinate": [1, 2], "radius": -1}))).contains("radius"));
        // faker reads the keys it knows: an unknown one is ignored, so the centre is random.
        assert_eq!(
            render("nearbyGPSCoordinate", kdg(json!({"centre": [1, 2]})), 2).len(),
            2
        );
    }
}
