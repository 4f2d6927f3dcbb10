// Package rollup keeps one row per device and calendar day: the up samples
// seen and their sum, the two numbers availability is made of. Quarterly and
// yearly reports read them when the raw samples are gone (the TSDB keeps 40
// days by default); rows are kept for Retention (at least 400 days),
// independent of the TSDB's retention.
//
// The collector's serve rolls up every complete day the TSDB holds once, at
// start and shortly after each midnight (Job); reports read the rows through
// report.Sources.Rollups and scan the TSDB only for the days without a row.
package rollup
