//! `--threshold` conditions: parsed before the run, checked against the final report.
