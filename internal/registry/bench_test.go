package registry

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jonboulle/clockwork"
)

// BenchmarkRegister5000 registers 5,000 new agents into a registry
// persisted under a temporary directory: one op is all 5,000, each
// acknowledged (durable) when Register returns. docs/benchmarks.md keeps
// the figures.
func BenchmarkRegister5000(b *testing.B) {
	infos := make([]Info, 5000)
	for i := range infos {
		infos[i] = Info{Hostname: fmt.Sprintf("pc-%05d", i), IPs: []string{fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255)},
			OS: "linux", Platform: "debian", Kernel: "6.1.0-18-amd64", Site: "城关派出所", Version: "1.4.0"}
	}
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "agents.json")
		r, err := Open(Options{Path: path, Clock: clockwork.NewRealClock(), Logger: quiet()})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, in := range infos {
			if err := r.Register(in, "10.0.0.1:40000"); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkRegister5000Concurrent is the same 5,000 registrations from 50
// goroutines at once, as agents arrive after a collector restart: one
// fsync of the log covers the lines appended meanwhile.
func BenchmarkRegister5000Concurrent(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		r, err := Open(Options{Path: filepath.Join(b.TempDir(), "agents.json"), Logger: quiet()})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		var wg sync.WaitGroup
		for w := range 50 {
			wg.Go(func() {
				for i := w; i < 5000; i += 50 {
					if err := r.Register(Info{Hostname: fmt.Sprintf("pc-%05d", i), Site: "城关派出所"}, "10.0.0.1:40000"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		b.StopTimer()
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
