package netcheck

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SDP is the part of a session description (RFC 8866) a health check needs.
type SDP struct {
	Version string
	Session string // s=
	Media   []Media
}

// Media is one m= section.
type Media struct {
	Type    string   // video, audio, application…
	Port    int      // usually 0 in an RTSP DESCRIBE answer
	Proto   string   // RTP/AVP…
	Formats []string // payload types
	Codecs  []string // encoding names from a=rtpmap, e.g. H264, H265, PCMA
	Control string   // a=control
}

// Videos returns the video media sections.
func (s *SDP) Videos() []Media {
	var out []Media
	for _, m := range s.Media {
		if m.Type == "video" {
			out = append(out, m)
		}
	}
	return out
}

// maxSDPLines bounds the lines parsed.
const maxSDPLines = 10000

// ParseSDP parses a session description. It accepts LF or CRLF line ends,
// requires v=0 first and well-formed type=value lines, and ignores attributes
// it does not use.
func ParseSDP(b []byte) (*SDP, error) {
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) == "" {
		return nil, errors.New("sdp: empty")
	}
	if len(lines) > maxSDPLines {
		return nil, fmt.Errorf("sdp: more than %d lines", maxSDPLines)
	}
	s := &SDP{}
	var cur *Media
	rtpmap := map[string]string{} // pt → codec, for the current media section
	flush := func() {
		if cur == nil {
			return
		}
		for _, f := range cur.Formats {
			if c, ok := rtpmap[f]; ok {
				cur.Codecs = append(cur.Codecs, c)
			}
		}
		s.Media = append(s.Media, *cur)
	}
	for i, line := range lines {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		if len(line) < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z' {
			return nil, fmt.Errorf("sdp line %d: %q is not type=value", i+1, clip(line))
		}
		typ, val := line[0], line[2:]
		if i == 0 && typ != 'v' {
			return nil, fmt.Errorf("sdp: first line must be v=, got %q", clip(line))
		}
		switch typ {
		case 'v':
			if i != 0 {
				return nil, fmt.Errorf("sdp line %d: v= repeated", i+1)
			}
			if val != "0" {
				return nil, fmt.Errorf("sdp: version %q, want 0", clip(val))
			}
			s.Version = val
		case 's':
			if cur == nil {
				s.Session = val
			}
		case 'm':
			flush()
			rtpmap = map[string]string{}
			f := strings.Fields(val)
			if len(f) < 3 {
				return nil, fmt.Errorf("sdp line %d: m= needs media, port and proto", i+1)
			}
			portStr, _, _ := strings.Cut(f[1], "/")
			port, err := strconv.Atoi(portStr)
			if err != nil || port < 0 || port > 65535 {
				return nil, fmt.Errorf("sdp line %d: bad port %q", i+1, clip(f[1]))
			}
			cur = &Media{Type: f[0], Port: port, Proto: f[2], Formats: f[3:]}
		case 'a':
			if cur == nil {
				continue
			}
			name, v, _ := strings.Cut(val, ":")
			switch name {
			case "rtpmap":
				pt, enc, ok := strings.Cut(v, " ")
				if !ok {
					return nil, fmt.Errorf("sdp line %d: bad rtpmap %q", i+1, clip(v))
				}
				codec, _, _ := strings.Cut(strings.TrimSpace(enc), "/")
				rtpmap[strings.TrimSpace(pt)] = codec
			case "control":
				cur.Control = v
			}
		}
	}
	flush()
	if s.Version == "" {
		return nil, errors.New("sdp: no v= line")
	}
	return s, nil
}

// clip shortens untrusted text quoted in errors.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
