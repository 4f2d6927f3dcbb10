package console

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/roomwatch/roomwatch/internal/tickets"
)

// DefaultMaxStreams bounds the open event streams (duty desks and wall
// displays together) when Options.MaxStreams is zero. Each stream holds a
// goroutine, a change subscription of sseBuffer and a connection; a bureau
// runs tens of desks and walls, so 256 leaves room and stops a runaway
// script (or many tabs) from holding thousands.
const DefaultMaxStreams = 256

// sseBuffer bounds the changes waiting for one stream; a desk or wall that
// falls behind misses changes, not the next refresh (see tickets.Subscribe).
const sseBuffer = 16

// ssePing is how often a stream without changes sends a comment, so that
// proxies keep it open (and a wall's revoked token is noticed).
const ssePing = 15 * time.Second

// streamOptions say what one event stream sends.
type streamOptions struct {
	hello string // the comment that opens the stream ("roomwatch desk")
	// withID sends the changed ticket's id (not to an account that sees
	// only some sites, nor to a wall display).
	withID bool
	// stillOK, when set, is asked at every ping whether the reader may
	// still read (a wall's kiosk token not revoked); false ends the stream.
	stillOK func() bool
}

// acquireStream takes one of the console's stream slots; false when all are
// taken. release gives it back.
func (c *Console) acquireStream() bool {
	if c.streams.Add(1) > int64(c.o.MaxStreams) {
		c.streams.Add(-1)
		return false
	}
	return true
}

func (c *Console) releaseStream() { c.streams.Add(-1) }

// OpenStreams is the number of event streams open now.
func (c *Console) OpenStreams() int { return int(c.streams.Load()) }

// serveChanges streams ticket changes as server-sent events: "event:
// change" with the ticket's id (or none), a comment every ssePing. Past
// MaxStreams open streams it answers 503 with Retry-After; the pages'
// scripts reconnect after a while.
func (c *Console) serveChanges(w http.ResponseWriter, r *http.Request, so streamOptions) {
	if !c.acquireStream() {
		c.o.Logger.Warn("console: event streams full", "max", c.o.MaxStreams, "path", r.URL.Path, "remote", remoteIP(r))
		w.Header().Set("Retry-After", "10")
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "too many event streams", http.StatusServiceUnavailable)
		return
	}
	defer c.releaseStream()
	rc := http.NewResponseController(w)
	sub := c.o.Tickets.Subscribe(sseBuffer)
	defer sub.Close()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprintf(w, "retry: 2000\n: %s\n\n", so.hello); err != nil {
		return
	}
	if err := rc.Flush(); err != nil {
		c.o.Logger.Warn("console: event stream cannot be flushed", "path", r.URL.Path, "err", err)
		return
	}
	ping := c.o.Clock.NewTicker(ssePing)
	defer ping.Stop()
	for {
		var msg string
		select {
		case <-r.Context().Done():
			return
		case <-c.stop:
			return
		case ch, ok := <-sub.C():
			if !ok {
				return
			}
			msg = changeEvent(ch, so.withID)
		case <-ping.Chan():
			if so.stillOK != nil && !so.stillOK() {
				return
			}
			msg = ": ping\n\n"
		}
		if _, err := fmt.Fprint(w, msg); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

func changeEvent(ch tickets.Change, withID bool) string {
	id := ""
	if withID {
		id = strconv.FormatInt(ch.TicketID, 10)
	}
	return "event: change\ndata: " + id + "\n\n"
}
