package notify

// Recipient is a person a message is meant for (the engineer on duty named
// by the duty roster): each channel uses the address it knows how to reach.
// A message with recipients goes, on each channel, to their addresses of
// that channel's kind instead of the channel's configured addressees (sms:
// Phone instead of phones; email: Email instead of to; wecom and dingtalk:
// the group robot still posts to its group but mentions the recipients —
// their WeCom/DingTalk user id, else their phone — instead of mobiles).
// When no recipient has an address of the channel's kind, the channel's
// configured addressees are used as without recipients.
type Recipient struct {
	// User is the account's login name; Name the name shown.
	User string `json:"user"`
	Name string `json:"name,omitempty"`
	// Phone (SMS, robot mention by mobile), Email, WeComID and DingTalkID
	// (robot mention by user id).
	Phone      string `json:"phone,omitempty"`
	Email      string `json:"email,omitempty"`
	WeComID    string `json:"wecom_id,omitempty"`
	DingTalkID string `json:"dingtalk_id,omitempty"`
}

// Label is the name shown, else the login name.
func (r Recipient) Label() string {
	if r.Name != "" {
		return r.Name
	}
	return r.User
}

// recipientPhones returns the recipients' phone numbers, or fallback when
// none has one.
func recipientPhones(to []Recipient, fallback []string) []string {
	var out []string
	for _, r := range to {
		if r.Phone != "" {
			out = append(out, r.Phone)
		}
	}
	if len(out) == 0 {
		return fallback
	}
	return out
}

// recipientEmails returns the recipients' e-mail addresses, or fallback
// when none has one.
func recipientEmails(to []Recipient, fallback []string) []string {
	var out []string
	for _, r := range to {
		if r.Email != "" {
			out = append(out, r.Email)
		}
	}
	if len(out) == 0 {
		return fallback
	}
	return out
}

// robotMentions returns whom a group robot mentions: the recipients by user
// id (id(r)) where they have one, else by phone; the configured mobiles
// when no recipient has either.
func robotMentions(to []Recipient, id func(Recipient) string, mobiles []string) (userIDs, phones []string) {
	for _, r := range to {
		switch {
		case id(r) != "":
			userIDs = append(userIDs, id(r))
		case r.Phone != "":
			phones = append(phones, r.Phone)
		}
	}
	if len(userIDs) == 0 && len(phones) == 0 {
		return nil, mobiles
	}
	return userIDs, phones
}
