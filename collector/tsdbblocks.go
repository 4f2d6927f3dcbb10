package collector

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

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
	return metaSound, false
}

// metaSound is blockMetaProblem's reason when meta.json is fine.
const metaSound = "meta.json parses; the TSDB did not load the block"

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

// BrokenBlocksError is a TSDB that would not open because blocks whose
// meta.json parses fail to open (damaged index or chunks): Prometheus's TSDB
// refuses the whole open then, rather than skipping them.
type BrokenBlocksError struct {
	Dir    string
	Blocks []unreadableBlock
	Err    error // the TSDB's own error
}

func (e *BrokenBlocksError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "时序库无法打开 TSDB %s does not open: %v\n", e.Dir, e.Err)
	for _, blk := range e.Blocks {
		fmt.Fprintf(&b, "  damaged block %s: %s\n", blk.Dir, blk.Reason)
	}
	fmt.Fprintf(&b, "move each damaged block directory out of %s (e.g. mv BLOCK /var/tmp/), or restore it from backup, then start again; its samples are lost until then", e.Dir)
	return b.String()
}

func (e *BrokenBlocksError) Unwrap() error { return e.Err }

// explainTSDBOpen turns a failed store.Open into a *BrokenBlocksError naming
// the blocks that do not open, when some do not; else it returns err as is.
func explainTSDBOpen(dir string, err error) error {
	entries, rerr := os.ReadDir(dir)
	if rerr != nil {
		return err
	}
	var broken []unreadableBlock
	for _, e := range entries {
		id, perr := ulid.ParseStrict(e.Name())
		if !e.IsDir() || perr != nil {
			continue
		}
		bdir := filepath.Join(dir, e.Name())
		if reason, _ := blockMetaProblem(bdir, id); reason != metaSound {
			continue // skipped by the TSDB, not the cause; reported once serve runs
		}
		blk, oerr := tsdb.OpenBlock(slog.New(slog.DiscardHandler), bdir, nil, nil)
		if oerr != nil {
			broken = append(broken, unreadableBlock{Dir: bdir, Reason: oerr.Error()})
			continue
		}
		_ = blk.Close()
	}
	if len(broken) == 0 {
		return err
	}
	return &BrokenBlocksError{Dir: dir, Blocks: broken, Err: err}
}
