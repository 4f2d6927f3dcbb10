package agent

import "golang.org/x/sys/unix"

// unameLabels returns node_uname_info's labels, as node_exporter sets them.
func unameLabels() []string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return nil
	}
	s := func(b []byte) string {
		for i, c := range b {
			if c == 0 {
				return string(b[:i])
			}
		}
		return string(b)
	}
	return []string{s(u.Sysname[:]), s(u.Release[:]), s(u.Version[:]), s(u.Machine[:]), s(u.Nodename[:]), s(u.Domainname[:])}
}
