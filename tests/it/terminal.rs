//! kdg on a real terminal (a pseudo-terminal, its output read through a terminal emulator):
//! records on stdout and the live line on stderr share the screen, and the live line is always
//! the last line drawn, never left behind between records.

use std::io::Read as _;

use portable_pty::{native_pty_system, CommandBuilder, PtySize};

use crate::common::*;

/// Tall enough that every row the run draws stays on the screen (no scrollback to page).
const ROWS: u16 = 1_500;
const COLS: u16 = 240;

/// Whether a screen row is (part of) the live line.
fn is_live_line(row: &str) -> bool {
    row.contains("(avg ") && row.contains(" sent ")
}

/// The non-empty rows of the screen, top to bottom.
fn rows(screen: &vt100::Screen) -> Vec<String> {
    let mut rows: Vec<String> = screen.rows(0, COLS).collect();
    while rows.last().is_some_and(|r| r.trim().is_empty()) {
        rows.pop();
    }
    rows
}

#[test]
fn on_a_terminal_the_live_line_stays_below_the_records_and_leaves_no_copies() {
    const RECORDS: usize = 600;
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("one-line.hbs");
    std::fs::write(&template, r#"{"id":{{random.number(100000)}},"word":"{{lorem.word}}"}"#).unwrap();
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal opens");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_kdg"));
    cmd.args([
        "run",
        template.to_str().unwrap(),
        "--rps",
        "300",
        "-n",
        "600",
        "--seed",
        "7",
    ]);
    cmd.cwd(root());
    cmd.env("TERM", "xterm-256color");
    let mut child = pty.slave.spawn_command(cmd).expect("kdg starts on the terminal");
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let size = |n: u16| std::num::NonZeroU16::new(n).expect("non-zero");
    let mut term = vt100::Parser::new(size(ROWS), size(COLS), 0);
    let (mut buf, mut drawn) = (vec![0u8; 4096], 0);
    // Read until kdg exits (the terminal then reports end of file or EIO). After every chunk,
    // whatever the chunking, a live line on the screen is the last row.
    while let Ok(n @ 1..) = reader.read(&mut buf) {
        term.process(&buf[..n]);
        let rows = rows(term.screen());
        if let Some(at) = rows.iter().position(|r| is_live_line(r)) {
            drawn += 1;
            assert_eq!(
                at,
                rows.len() - 1,
                "the live line is drawn above a later row:\n{}",
                rows[at.saturating_sub(2)..].join("\n")
            );
        }
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}: {}", rows(term.screen()).join("\n"));
    assert!(drawn > 0, "the live line was drawn on the terminal");
    let rows = rows(term.screen());
    let records = rows
        .iter()
        .filter(|r| serde_json::from_str::<serde_json::Value>(r.trim_end()).is_ok_and(|v| v.is_object()))
        .count();
    assert_eq!(records, RECORDS, "every record is a whole row:\n{}", rows.join("\n"));
    assert!(
        !rows.iter().any(|r| is_live_line(r)),
        "the live line is cleared at the end"
    );
    assert!(
        rows.iter().any(|r| r.contains("delivered")),
        "the report follows the records"
    );
}
