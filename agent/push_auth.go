package agent

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/pushbuf"
)

// BasicAuth is remote_write.basic_auth, as Prometheus's: a username and
// exactly one of password and password_file.
type BasicAuth struct {
	Username     string           `yaml:"username"`
	Password     inventory.Secret `yaml:"password"`
	PasswordFile string           `yaml:"password_file"`
}

// TLSConfig is remote_write.tls_config, Prometheus's field names: the CA
// that signed the collector's certificate, this agent's client certificate
// for mutual TLS, the name to verify instead of the URL's host, and (for
// tests only) no verification at all.
type TLSConfig struct {
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	ServerName         string `yaml:"server_name"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// Credentials are remote_write's authentication settings, used for pushes
// and registration alike.
type Credentials struct {
	BearerToken     inventory.Secret `yaml:"bearer_token"`
	BearerTokenFile string           `yaml:"bearer_token_file"`
	BasicAuth       *BasicAuth       `yaml:"basic_auth"`
	TLSConfig       *TLSConfig       `yaml:"tls_config"`
}

// check validates the credentials as Prometheus does (at most one of
// bearer_token, bearer_token_file and basic_auth; password or
// password_file; cert_file with key_file) and that the named files can be
// read now, so a typo fails --check-config rather than the first push.
func (c *Credentials) check(node *yaml.Node) error {
	n := 0
	for _, set := range []bool{c.BearerToken != "", c.BearerTokenFile != "", c.BasicAuth != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return config.Errorf(node, "remote_write: at most one of bearer_token, bearer_token_file and basic_auth")
	}
	if b := c.BasicAuth; b != nil {
		if b.Username == "" {
			return config.Errorf(node, "remote_write: basic_auth needs a username")
		}
		if (b.Password == "") == (b.PasswordFile == "") {
			return config.Errorf(node, "remote_write: basic_auth needs exactly one of password and password_file")
		}
	}
	files := []string{c.BearerTokenFile}
	if c.BasicAuth != nil {
		files = append(files, c.BasicAuth.PasswordFile)
	}
	if t := c.TLSConfig; t != nil {
		if (t.CertFile == "") != (t.KeyFile == "") {
			return config.Errorf(node, "remote_write: tls_config needs both cert_file and key_file, or neither")
		}
		files = append(files, t.CAFile, t.CertFile, t.KeyFile)
	}
	for _, f := range files {
		if f == "" {
			continue
		}
		if _, err := os.ReadFile(f); err != nil {
			return config.Errorf(node, "remote_write: %v", err)
		}
	}
	if _, err := c.tls(); err != nil {
		return config.Errorf(node, "remote_write: tls_config: %v", err)
	}
	return nil
}

// tls returns the client TLS config, nil when tls_config is not set.
func (c *Credentials) tls() (*tls.Config, error) {
	t := c.TLSConfig
	if t == nil {
		return nil, nil
	}
	cfg := &tls.Config{ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // insecure_skip_verify is the user's explicit choice, as in Prometheus
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" {
		// Re-read at each new connection: a renewed certificate is used
		// without a restart.
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			return nil, fmt.Errorf("cert_file/key_file: %w", err)
		}
		cert, key := t.CertFile, t.KeyFile
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			c, err := tls.LoadX509KeyPair(cert, key)
			if err != nil {
				return nil, err
			}
			return &c, nil
		}
	}
	return cfg, nil
}

// errNoSecret is the error of an empty bearer_token_file or password_file.
var errNoSecret = errors.New("is empty")

// authorization returns the Authorization header value ("" for none).
// Files are read at every request, as Prometheus does, so a rotated token
// is used without a restart.
func (c *Credentials) authorization() (string, error) {
	readFile := func(p string) (string, error) {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", fmt.Errorf("%s %w", p, errNoSecret)
		}
		return s, nil
	}
	switch {
	case c.BearerToken != "":
		return "Bearer " + c.BearerToken.Reveal(), nil
	case c.BearerTokenFile != "":
		tok, err := readFile(c.BearerTokenFile)
		if err != nil {
			return "", err
		}
		return "Bearer " + tok, nil
	case c.BasicAuth != nil:
		pw := c.BasicAuth.Password.Reveal()
		if c.BasicAuth.PasswordFile != "" {
			var err error
			if pw, err = readFile(c.BasicAuth.PasswordFile); err != nil {
				return "", err
			}
		}
		r := &http.Request{Header: http.Header{}}
		r.SetBasicAuth(c.BasicAuth.Username, pw)
		return r.Header.Get("Authorization"), nil
	}
	return "", nil
}

// authDoer adds the credentials to every request of the pusher (pushes and
// registration).
type authDoer struct {
	next  pushbuf.Doer
	creds *Credentials
}

func (d *authDoer) Do(req *http.Request) (*http.Response, error) {
	v, err := d.creds.authorization()
	if err != nil {
		return nil, fmt.Errorf("remote_write credentials: %w", err)
	}
	if v != "" {
		req.Header.Set("Authorization", v)
	}
	return d.next.Do(req)
}

// client returns the pusher's client: pushbuf.ConnClient (one kept-alive
// connection, no http.Transport) with the TLS settings, adding the
// credentials to every request.
func (c *Credentials) client() (pushbuf.Doer, error) {
	tc, err := c.tls()
	if err != nil {
		return nil, err
	}
	return &authDoer{next: &pushbuf.ConnClient{TLS: tc}, creds: c}, nil
}
