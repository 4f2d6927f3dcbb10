package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/tickets"
)

// runComplaints is `roomwatch-collector tickets complain|complaints|answer|
// close-complaint`: complaints (投诉) through /api/v1/complaints. The
// complainant and the one answering are the token's owner.
func runComplaints(ctx context.Context, env Env, verb string, args []string) int {
	var o ticketsOptions
	usage := map[string]string{"complain": "--text TEXT [--contact C] [--ticket ID]", "complaints": "[--open] [--ticket ID]",
		"answer": "ID --reply TEXT", "close-complaint": "ID"}[verb]
	fs := newTicketsFlags(env, verb, usage, &o)
	var req tickets.ComplaintRequest
	var reply string
	var open bool
	switch verb {
	case "complain":
		fs.StringVar(&req.Text, "text", "", "what the complaint is (required) / 投诉内容")
		fs.StringVar(&req.Contact, "contact", "", "how to reach the complainant / 联系方式")
		fs.Int64Var(&req.TicketID, "ticket", 0, "the ticket it is about / 相关工单")
	case "complaints":
		fs.BoolVar(&open, "open", false, "only those not answered yet / 仅未答复")
		fs.Int64Var(&req.TicketID, "ticket", 0, "only those about this ticket / 相关工单")
	case "answer":
		fs.StringVar(&reply, "reply", "", "the reply (required) / 答复内容")
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return parseErr(err)
	}
	var id string
	if verb == "answer" || verb == "close-complaint" {
		if id, err = complaintID(pos); err != nil {
			fmt.Fprintf(env.Stderr, "tickets %s: %v\n", verb, err)
			fs.Usage()
			return 2
		}
	} else if len(pos) > 0 {
		fmt.Fprintf(env.Stderr, "tickets %s: unexpected argument %q\n", verb, pos[0])
		return 2
	}
	if verb == "complain" && strings.TrimSpace(req.Text) == "" {
		fmt.Fprintf(env.Stderr, "tickets complain: --text is required / 请填写投诉内容 (--text)\n")
		return 2
	}
	c, code := newTicketsClient(env, &o)
	if c == nil {
		return code
	}
	var raw []byte
	switch verb {
	case "complain":
		body, _ := json.Marshal(req)
		raw, err = c.do(ctx, http.MethodPost, "/api/v1/complaints", nil, body)
	case "complaints":
		q := url.Values{}
		if open {
			q.Set("open", "true")
		}
		if req.TicketID != 0 {
			q.Set("ticket", strconv.FormatInt(req.TicketID, 10))
		}
		raw, err = c.do(ctx, http.MethodGet, "/api/v1/complaints", q, nil)
	case "answer":
		body, _ := json.Marshal(map[string]string{"reply": reply})
		raw, err = c.do(ctx, http.MethodPost, "/api/v1/complaints/"+id+"/answer", nil, body)
	case "close-complaint":
		raw, err = c.do(ctx, http.MethodPost, "/api/v1/complaints/"+id+"/close", nil, nil)
	}
	if err != nil {
		return c.fail(err)
	}
	if o.JSON {
		return c.raw(raw)
	}
	var list []tickets.Complaint
	if verb == "complaints" {
		var v struct {
			Complaints []tickets.Complaint `json:"complaints"`
		}
		err = json.Unmarshal(raw, &v)
		list = v.Complaints
	} else {
		var one tickets.Complaint
		err = json.Unmarshal(raw, &one)
		list = []tickets.Complaint{one}
	}
	if err != nil {
		return c.fail(fmt.Errorf("decode answer: %w", err))
	}
	writeComplaints(env.Stdout, list, c.loc)
	return 0
}

func complaintID(pos []string) (string, error) {
	if len(pos) != 1 {
		return "", fmt.Errorf("want one complaint ID")
	}
	if n, err := strconv.ParseInt(pos[0], 10, 64); err != nil || n <= 0 {
		return "", fmt.Errorf("complaint ID %q: want a positive number", pos[0])
	}
	return pos[0], nil
}

var complaintStateZH = map[tickets.ComplaintState]string{tickets.ComplaintOpen: "待答复", tickets.ComplaintAnswered: "已答复",
	tickets.ComplaintClosed: "已关闭"}

// writeComplaints prints complaints one per line: number, state, in time
// or late, filed, due, by, ticket, text, reply.
func writeComplaints(w io.Writer, cs []tickets.Complaint, loc *time.Location) {
	if len(cs) == 0 {
		fmt.Fprintln(w, "无投诉 / no complaints")
		return
	}
	f := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	for _, c := range cs {
		timing := ""
		switch {
		case c.Late:
			timing = " 超时答复/late"
		case c.Overdue:
			timing = " 已超时/overdue"
		}
		fmt.Fprintf(w, "投诉 #%d %s %s%s 提出/filed %s %s 时限/due %s", c.ID, complaintStateZH[c.State], c.State, timing,
			f(c.FiledAt), c.FiledBy, f(c.DueAt))
		if c.TicketID != 0 {
			fmt.Fprintf(w, " 工单/ticket #%d", c.TicketID)
		}
		fmt.Fprintf(w, "\n  %s\n", c.Text)
		if c.RepliedAt != nil {
			fmt.Fprintf(w, "  答复/reply %s %s: %s\n", f(*c.RepliedAt), c.RepliedBy, c.Reply)
		}
	}
}
