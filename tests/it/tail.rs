//! `kdg tail` against kinesalite.
