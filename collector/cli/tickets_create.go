package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/api"
)

// ticketsCreate is `tickets create`: a fault reported by phone, e-mail or
// in person (报修), POSTed to /api/v1/tickets. The ticket gets the timers of
// the SLA profile its device, site and category choose.
func ticketsCreate(ctx context.Context, env Env, args []string) int {
	var o ticketsOptions
	fs := newTicketsFlags(env, "create", "--title T --level L [--device D] [--site S] [--category C] [flags]", &o)
	var m tickets.Manual
	fs.StringVar(&m.Title, "title", "", "what is wrong (required) / 故障标题")
	level := fs.String("level", "", "fault level I, II, III or IV (required) / 故障等级")
	fs.StringVar(&m.Description, "description", "", "details / 故障描述")
	fs.StringVar(&m.Device, "device", "", "the device, as in the inventory / 设备")
	fs.StringVar(&m.Site, "site", "", "the site (default: the device's) / 站点")
	category := fs.String("category", "", "room_it, room_infra, front_end or fibre (default: classified) / 派单类别")
	fs.StringVar(&m.Group, "group", "", "handling group (default: classified) / 处理组")
	fs.StringVar(&m.Channel, "channel", "phone", "how it was reported: phone, email, walk-in / 报修方式")
	fs.StringVar(&m.Reporter, "reporter", "", "who reported it and how to reach them / 报修人及联系方式")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return parseErr(err)
	}
	if len(pos) > 0 {
		fs.Usage()
		return 2
	}
	if m.Level, err = classify.ParseLevel(*level); err != nil {
		fmt.Fprintf(env.Stderr, "tickets create: --level: %v\n", err)
		return 2
	}
	if *category != "" {
		if m.Category, err = classify.ParseCategory(*category); err != nil {
			fmt.Fprintf(env.Stderr, "tickets create: --category: %v\n", err)
			return 2
		}
	}
	m.Title = strings.TrimSpace(m.Title)
	check := m
	check.Actor = "cli"
	if err := check.Validate(); err != nil {
		fmt.Fprintf(env.Stderr, "tickets create: %v\n", err)
		fs.Usage()
		return 2
	}
	c, code := newTicketsClient(env, &o)
	if c == nil {
		return code
	}
	body, err := json.Marshal(m)
	if err != nil {
		return c.fail(err)
	}
	raw, err := c.do(ctx, http.MethodPost, "/api/v1/tickets", nil, body)
	if err != nil {
		return c.fail(err)
	}
	if o.JSON {
		return c.raw(raw)
	}
	t, err := decodeTicket(raw)
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(env.Stdout, "已登记 工单/Ticket #%d (%s)\n", t.ID, t.Profile)
	writeTicketList(env.Stdout, []api.Ticket{t}, c.loc)
	return 0
}
