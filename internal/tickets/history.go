package tickets

// TicketEvent is one ticket event with the ticket it belongs to, for the
// daily O&M log (每日运维服务日志).
type TicketEvent struct {
	TicketID int64
	Title    string
	Device   string
	Level    Level
	Event
}

// TicketPart is one replaced spare part with its ticket, for the quarterly
// report (备件更换记录).
type TicketPart struct {
	TicketID int64
	Title    string
	Device   string
	Part
}
