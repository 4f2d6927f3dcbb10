// Package integrity keys the hash chains of roomwatch's records (inspection
// entries, ticket events, the audit log) so that a record rewritten in the
// database, with every later hash recomputed, no longer verifies.
//
// Each chained record stores the tag of its link function (HMACTagSHA256 or
// HMACTagSM3), the previous record's hash and its own hash:
//
//	hash = hex(HMAC-H(key, prev_hash || "\n" || canonical document))
//
// with H SHA-256 or SM3 (GB/T 32905). The key lives in a file outside the
// databases (KeyFile), created on first start with mode 0600; the same file
// records where each chain became keyed (records before that point were
// written by older versions and are checked as they were written).
package integrity
