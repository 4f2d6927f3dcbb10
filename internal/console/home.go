package console

import (
	"net/http"
	"time"
)

// home is the placeholder of the duty desk: the layout and navigation of the
// pages to come, and a plain statement that the desk is not built yet.
func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	p := page{TitleKey: "home.title", IdleMins: int(c.o.Accounts.IdleTimeout() / time.Minute)}
	if r.URL.Query().Has("changed") {
		p.MsgKey = "password.changed"
	}
	c.render(w, r, http.StatusOK, "home", p)
}
