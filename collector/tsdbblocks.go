package collector

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/oklog/ulid/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/tsdb"
)

// unreadableBlock is a block directory in the TSDB that the TSDB did not
// load: Prometheus's tsdb.Open logs an unreadable meta.json and skips the
// block, so its samples silently vanish from every query.
type unreadableBlock struct {
	Dir    string
	Reason string
}

func (b unreadableBlock) String() string {
	return fmt.Sprintf("时序库块未加载 TSDB block %s is not loaded (%s); its samples are missing from queries: "+
		"stop the collector, move the directory out of the TSDB (or restore it from backup), then start again", b.Dir, b.Reason)
}

// unloadedBlocks lists the ULID-named directories under dir that are not
// among the loaded blocks, with why (meta.json's error, when it has one).
func unloadedBlocks(dir string, loaded []*tsdb.Block) ([]unreadableBlock, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list TSDB blocks: %w", err)
	}
	have := make(map[ulid.ULID]bool, len(loaded))
	for _, b := range loaded {
		have[b.Meta().ULID] = true
	}
	var out []unreadableBlock
	for _, e := range entries {
		id, err := ulid.ParseStrict(e.Name())
		if !e.IsDir() || err != nil || have[id] {
			continue
		}
		bdir := filepath.Join(dir, e.Name())
		reason, gone := blockMetaProblem(bdir, id)
		if gone {
			continue // removed since the listing (retention, compaction)
		}
		out = append(out, unreadableBlock{Dir: bdir, Reason: reason})
	}
	return out, nil
}

// blockMetaProblem says what is wrong with a block's meta.json; gone when
// the block directory no longer exists.
func blockMetaProblem(bdir string, id ulid.ULID) (reason string, gone bool) {
	b, err := os.ReadFile(filepath.Join(bdir, "meta.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !exists(bdir) {
			return "", true
		}
		return "no meta.json", false
	case err != nil:
		return "meta.json: " + err.Error(), false
	}
	var m tsdb.BlockMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return "meta.json does not parse: " + err.Error(), false
	}
	if m.Version != 1 {
		return fmt.Sprintf("meta.json version %d, want 1", m.Version), false
	}
	if m.ULID != id {
		return fmt.Sprintf("meta.json names block %s", m.ULID), false
	}
	return "meta.json parses; the TSDB did not load the block", false
}

// checkTSDBBlocks reports, once at start, the block directories the TSDB
// skipped: a warning in the log and on /-/ready, and the gauge
// roomwatch_tsdb_blocks_unreadable.
func (s *Server) checkTSDBBlocks() {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "roomwatch_tsdb_blocks_unreadable",
		Help: "TSDB block directories found at start that the TSDB did not load (garbage meta.json and the like); their samples are missing from queries.",
	})
	s.reg.MustRegister(g)
	bad, err := unloadedBlocks(s.store.DB().Dir(), s.store.DB().Blocks())
	if err != nil {
		s.log.Warn("cannot check the TSDB's blocks", "err", err)
		s.setWarnings("tsdb", []string{err.Error()})
		return
	}
	g.Set(float64(len(bad)))
	var warns []string
	for _, b := range bad {
		msg := b.String()
		s.log.Warn(msg, "block", b.Dir, "reason", b.Reason)
		warns = append(warns, msg)
	}
	s.setWarnings("tsdb", warns)
}
