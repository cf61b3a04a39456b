//! `internet.userAgent()`: browser identification strings generated the way faker.js 3.1.0's
//! are shaped, from kdg's own generator.
//!
//! faker 3.1.0 does not pick from a list: it builds each string from a browser family (Chrome,
//! Internet Explorer, Firefox, Safari, Opera) on an operating system (Windows NT 5.x/6.x, Mac OS X
//! 10.5–10.10 on Intel or PPC, Linux i686/x86_64) with random version numbers, so a few thousand
//! of five thousand draws are distinct. The shares of the families, the layouts of each and the
//! ranges of the version numbers below were measured on faker's output (the differential test,
//! `tests/it/fidelity.rs`, keeps them honest); the code is ours.

use super::{write_int, Ctx};

/// The layouts, with their weights in thousandths (they add up to 1000).
#[derive(Clone, Copy)]
enum Family {
    ChromeWindows,
    ExplorerClr,
    Explorer,
    Explorer11,
    FirefoxWindows,
    SafariMac,
    ChromeMac,
    FirefoxMac,
    ChromeLinux,
    SafariWindows,
    FirefoxLinux,
    Opera,
}

const FAMILIES: [(Family, u16); 12] = [
    (Family::ChromeWindows, 401),
    (Family::ExplorerClr, 108),
    (Family::Explorer, 106),
    (Family::Explorer11, 52),
    (Family::FirefoxWindows, 161),
    (Family::SafariMac, 66),
    (Family::ChromeMac, 42),
    (Family::FirefoxMac, 30),
    (Family::ChromeLinux, 9),
    (Family::SafariWindows, 3),
    (Family::FirefoxLinux, 2),
    (Family::Opera, 20),
];

fn int(ctx: &mut Ctx, out: &mut Vec<u8>, lo: i64, hi: i64) {
    let v = ctx.int(lo, hi);
    write_int(out, v);
}

/// `Windows NT 5.0` … `Windows NT 6.3`.
fn windows_nt(ctx: &mut Ctx, out: &mut Vec<u8>) {
    out.extend_from_slice(b"Windows NT ");
    int(ctx, out, 5, 6);
    out.push(b'.');
    int(ctx, out, 0, 3);
}

/// `Intel Mac OS X 10_9_4` (`sep` `_`) or `10.9.4` (`sep` `.`), sometimes PPC, sometimes after `U; `.
fn mac_os(ctx: &mut Ctx, out: &mut Vec<u8>, sep: u8) {
    if ctx.int(0, 1) == 1 {
        out.extend_from_slice(b"U; ");
    }
    out.extend_from_slice(if ctx.int(0, 29) == 0 { b"PPC" } else { b"Intel" });
    out.extend_from_slice(b" Mac OS X 10");
    out.push(sep);
    int(ctx, out, 5, 10);
    out.push(sep);
    int(ctx, out, 0, 9);
}

/// A WebKit build, `531.0.0` … `538.2.2`.
fn webkit(ctx: &mut Ctx) -> [u8; 7] {
    [
        b'5',
        b'3',
        b'1' + ctx.int(0, 7) as u8,
        b'.',
        b'0' + ctx.int(0, 2) as u8,
        b'.',
        b'0' + ctx.int(0, 2) as u8,
    ]
}

/// `AppleWebKit/W (KHTML, like Gecko) NAME/V Safari/W`, with `version` writing V.
fn webkit_tail(ctx: &mut Ctx, out: &mut Vec<u8>, name: &[u8], version: fn(&mut Ctx, &mut Vec<u8>)) {
    let w = webkit(ctx);
    out.extend_from_slice(b"AppleWebKit/");
    out.extend_from_slice(&w);
    out.extend_from_slice(b" (KHTML, like Gecko) ");
    out.extend_from_slice(name);
    out.push(b'/');
    version(ctx, out);
    out.extend_from_slice(b" Safari/");
    out.extend_from_slice(&w);
}

/// `… Chrome/38.0.816.0 Safari/…`.
fn chrome_tail(ctx: &mut Ctx, out: &mut Vec<u8>) {
    webkit_tail(ctx, out, b"Chrome", |ctx, out| {
        int(ctx, out, 13, 40);
        out.extend_from_slice(b".0.");
        int(ctx, out, 800, 899);
        out.extend_from_slice(b".0");
    })
}

/// `… Version/7.0.10 Safari/…`.
fn safari_tail(ctx: &mut Ctx, out: &mut Vec<u8>) {
    webkit_tail(ctx, out, b"Version", |ctx, out| {
        int(ctx, out, 4, 7);
        out.push(b'.');
        int(ctx, out, 0, 1);
        out.push(b'.');
        int(ctx, out, 0, 10);
    })
}

/// `rv:12.8) Gecko/20100101 Firefox/12.8.3`.
fn firefox_tail(ctx: &mut Ctx, out: &mut Vec<u8>) {
    let (major, minor) = (ctx.int(5, 15), ctx.int(0, 9));
    out.extend_from_slice(b"rv:");
    write_int(out, major);
    out.push(b'.');
    write_int(out, minor);
    out.extend_from_slice(b") Gecko/20100101 Firefox/");
    write_int(out, major);
    out.push(b'.');
    write_int(out, minor);
    out.push(b'.');
    int(ctx, out, 0, 9);
}

/// Two capital letters, a language tag as the old browsers wrote it.
fn language(ctx: &mut Ctx, out: &mut Vec<u8>) {
    out.push(b'A' + ctx.int(0, 25) as u8);
    out.push(b'A' + ctx.int(0, 25) as u8);
}

/// Append one user-agent string.
pub(crate) fn write_user_agent(ctx: &mut Ctx, out: &mut Vec<u8>) {
    let mut r = ctx.int(0, 999) as u16;
    let mut family = Family::ChromeWindows;
    for (f, w) in FAMILIES {
        if r < w {
            family = f;
            break;
        }
        r -= w;
    }
    if matches!(family, Family::Opera) {
        out.extend_from_slice(b"Opera/");
        int(ctx, out, 9, 14);
        out.push(b'.');
        int(ctx, out, 0, 99);
        out.extend_from_slice(b" (");
        windows_nt(ctx, out);
        out.extend_from_slice(b"; U; ");
        language(ctx, out);
        out.extend_from_slice(b" Presto/2.9.");
        int(ctx, out, 160, 190);
        out.extend_from_slice(b" Version/");
        int(ctx, out, 10, 12);
        out.extend_from_slice(b".00)");
        return;
    }
    out.extend_from_slice(b"Mozilla/5.0 (");
    match family {
        Family::ChromeWindows => {
            out.extend_from_slice(b"Windows; U; ");
            windows_nt(ctx, out);
            out.extend_from_slice(b") ");
            chrome_tail(ctx, out);
        }
        Family::SafariWindows => {
            out.extend_from_slice(b"Windows; U; ");
            windows_nt(ctx, out);
            out.push(b')');
            safari_tail(ctx, out);
        }
        Family::ExplorerClr | Family::Explorer => {
            out.extend_from_slice(b"compatible; MSIE ");
            int(ctx, out, 7, 10);
            out.extend_from_slice(b".0; ");
            windows_nt(ctx, out);
            out.extend_from_slice(b"; Trident/");
            int(ctx, out, 3, 7);
            out.push(b'.');
            int(ctx, out, 0, 1);
            if matches!(family, Family::ExplorerClr) {
                out.extend_from_slice(b"; .NET CLR ");
                int(ctx, out, 2, 4);
                out.push(b'.');
                int(ctx, out, 0, 9);
                out.push(b'.');
                int(ctx, out, 10000, 99999);
                out.push(b'.');
                int(ctx, out, 0, 9);
            }
            out.push(b')');
        }
        Family::Explorer11 => {
            windows_nt(ctx, out);
            out.extend_from_slice(b"; Trident/7.0; ");
            if ctx.int(0, 1) == 1 {
                out.extend_from_slice(b"Touch; ");
            }
            out.extend_from_slice(b"rv:11.0) like Gecko");
        }
        Family::FirefoxWindows => {
            windows_nt(ctx, out);
            out.extend_from_slice(match ctx.int(0, 2) {
                0 => &b"; "[..],
                1 => b"; WOW64; ",
                _ => b"; Win64; x64; ",
            });
            firefox_tail(ctx, out);
        }
        Family::SafariMac => {
            out.extend_from_slice(b"Macintosh; ");
            mac_os(ctx, out, b'_');
            out.extend_from_slice(b" rv:");
            int(ctx, out, 2, 6);
            out.extend_from_slice(b".0; ");
            language(ctx, out);
            out.extend_from_slice(b") ");
            safari_tail(ctx, out);
        }
        Family::ChromeMac => {
            out.extend_from_slice(b"Macintosh; ");
            mac_os(ctx, out, b'_');
            out.extend_from_slice(b")  ");
            chrome_tail(ctx, out);
        }
        Family::FirefoxMac => {
            out.extend_from_slice(b"Macintosh; ");
            mac_os(ctx, out, b'.');
            out.extend_from_slice(b"; ");
            firefox_tail(ctx, out);
        }
        // faker's Linux Chrome strings lack the `)` after the platform; so do these.
        Family::ChromeLinux | Family::FirefoxLinux => {
            out.extend_from_slice(b"X11; Linux ");
            out.extend_from_slice(if ctx.int(0, 1) == 1 { b"x86_64" } else { b"i686" });
            if matches!(family, Family::ChromeLinux) {
                out.push(b' ');
                chrome_tail(ctx, out);
            } else {
                out.extend_from_slice(b"; ");
                firefox_tail(ctx, out);
            }
        }
        Family::Opera => unreachable!("handled above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(n: u64) -> Vec<String> {
        let mut ctx = Ctx::new(5, String::new(), 0);
        (0..n)
            .map(|i| {
                ctx.begin_record(i, 0);
                let mut out = Vec::new();
                write_user_agent(&mut ctx, &mut out);
                String::from_utf8(out).expect("ASCII")
            })
            .collect()
    }

    #[test]
    fn weights_add_up_to_a_thousand() {
        assert_eq!(FAMILIES.iter().map(|(_, w)| *w as u32).sum::<u32>(), 1000);
    }

    #[test]
    fn user_agents_are_generated_with_fakers_families_and_variety() {
        let v = draws(5000);
        let distinct: std::collections::HashSet<_> = v.iter().collect();
        assert!(distinct.len() > 4000, "{}", distinct.len());
        let share = |needle: &str| v.iter().filter(|u| u.contains(needle)).count() as f64 / v.len() as f64;
        assert!((0.35..0.47).contains(&share("Chrome/")), "{}", share("Chrome/"));
        assert!((0.22..0.32).contains(&share("Trident/")));
        assert!((0.14..0.24).contains(&share("Firefox/")));
        assert!((0.01..0.04).contains(&share("Opera/")));
        for u in &v {
            assert!(u.starts_with("Mozilla/5.0 (") || u.starts_with("Opera/"), "{u}");
            // faker never writes phones or tablets.
            assert!(
                !u.contains("Android") && !u.contains("iPhone") && !u.contains("iPad"),
                "{u}"
            );
        }
        // A fixed seed gives fixed strings.
        assert_eq!(draws(3), draws(3));
    }
}
