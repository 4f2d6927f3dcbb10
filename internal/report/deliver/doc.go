// Package deliver makes the contract's periodic reports on time without
// anyone asking: the daily O&M log each morning, the monthly statistics on
// the 1st (due to the bureau), the quarterly report on the 1st of the
// quarter's next month. Each is written as HTML and Excel under the reports
// directory (kept: the record of what was delivered) and, when the job names
// notification channels, sent through them — an e-mail channel carries the
// files as attachments.
//
// After a restart the latest due run of each job is caught up when its files
// are missing, but never a due time before the collector's first start.
package deliver
