package agent

import "github.com/prometheus/client_golang/prometheus"

// diskDescs are node_exporter's diskstats series, labelled by device.
type diskDescs struct {
	readsCompleted, readsMerged, readBytes, readTime       *prometheus.Desc
	writesCompleted, writesMerged, writtenBytes, writeTime *prometheus.Desc
	ioNow, ioTime, ioTimeWeighted                          *prometheus.Desc
	discardsCompleted, discardsMerged, discardedSectors    *prometheus.Desc
	discardTime, flushes, flushTime                        *prometheus.Desc
}

func newDiskDescs() diskDescs {
	d := func(name, help string) *prometheus.Desc { return desc(name, help, "device") }
	return diskDescs{
		readsCompleted:    d("node_disk_reads_completed_total", "The total number of reads completed successfully."),
		readsMerged:       d("node_disk_reads_merged_total", "The total number of reads merged."),
		readBytes:         d("node_disk_read_bytes_total", "The total number of bytes read successfully."),
		readTime:          d("node_disk_read_time_seconds_total", "The total number of seconds spent by all reads."),
		writesCompleted:   d("node_disk_writes_completed_total", "The total number of writes completed successfully."),
		writesMerged:      d("node_disk_writes_merged_total", "The number of writes merged."),
		writtenBytes:      d("node_disk_written_bytes_total", "The total number of bytes written successfully."),
		writeTime:         d("node_disk_write_time_seconds_total", "This is the total number of seconds spent by all writes."),
		ioNow:             d("node_disk_io_now", "The number of I/Os currently in progress."),
		ioTime:            d("node_disk_io_time_seconds_total", "Total seconds spent doing I/Os."),
		ioTimeWeighted:    d("node_disk_io_time_weighted_seconds_total", "The weighted # of seconds spent doing I/Os."),
		discardsCompleted: d("node_disk_discards_completed_total", "The total number of discards completed successfully."),
		discardsMerged:    d("node_disk_discards_merged_total", "The total number of discards merged."),
		discardedSectors:  d("node_disk_discarded_sectors_total", "The total number of sectors discarded successfully."),
		discardTime:       d("node_disk_discard_time_seconds_total", "This is the total number of seconds spent by all discards."),
		flushes:           d("node_disk_flush_requests_total", "The total number of flush requests completed successfully."),
		flushTime:         d("node_disk_flush_requests_time_seconds_total", "This is the total number of seconds spent by all flush requests."),
	}
}
