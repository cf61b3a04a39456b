//! moment.js 2.17.1 format strings and JavaScript `Date.prototype.toString()` (`kdg.md` §2.4).
