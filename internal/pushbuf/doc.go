// Package pushbuf is the agent's on-disk push buffer and the Pusher that
// feeds it and drains it to a collector over Prometheus remote write.
//
// The buffer is a directory of segment files holding length+CRC framed
// records, each with a sequence number, plus a cursor file holding the highest
// acknowledged sequence. Records are fsynced on append and survive collector
// outages and agent restarts; they are read back in order from the cursor. The
// buffer is bounded by size and age: past either bound the oldest segments are
// deleted and the unacknowledged records in them counted as dropped.
//
// It owns the buffer directory and the Pusher; the agent wires it in
// agent/push.go when the configuration has a remote_write section.
package pushbuf
