package agent

import "github.com/prometheus/client_golang/prometheus"

// cpuDescs are the cpu source's series, node_exporter's cpu and stat collectors.
type cpuDescs struct {
	seconds, guest, count               *prometheus.Desc
	intr, ctxt, forks, running, blocked *prometheus.Desc
}

func newCPUDescs() cpuDescs {
	return cpuDescs{
		seconds: desc("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.", "cpu", "mode"),
		guest:   desc("node_cpu_guest_seconds_total", "Seconds the CPUs spent in guests (VMs) for each mode.", "cpu", "mode"),
		count:   desc("roomwatch_cpu_count", "Number of logical CPUs."),
		intr:    desc("node_intr_total", "Total number of interrupts serviced."),
		ctxt:    desc("node_context_switches_total", "Total number of context switches."),
		forks:   desc("node_forks_total", "Total number of forks."),
		running: desc("node_procs_running", "Number of processes in runnable state."),
		blocked: desc("node_procs_blocked", "Number of processes blocked waiting for I/O to complete."),
	}
}

// emitCPU writes one CPU's times in node_exporter's modes.
func (d *cpuDescs) emitCPU(out *sink, t *cpuTimes) {
	out.counter(d.seconds, t.user, t.cpu, "user")
	out.counter(d.seconds, t.nice, t.cpu, "nice")
	out.counter(d.seconds, t.system, t.cpu, "system")
	out.counter(d.seconds, t.idle, t.cpu, "idle")
	out.counter(d.seconds, t.iowait, t.cpu, "iowait")
	out.counter(d.seconds, t.irq, t.cpu, "irq")
	out.counter(d.seconds, t.softirq, t.cpu, "softirq")
	out.counter(d.seconds, t.steal, t.cpu, "steal")
}
