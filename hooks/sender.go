// Package hooks sends webhook deliveries: the store's outbox is drained by
// a Worker, which claims due deliveries, posts them with a Sender and
// records each outcome, retrying failures with a growing wait.
package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"patpolicy/db"
	"patpolicy/hooks/payload"
)

// UserAgent is the User-Agent of every delivery.
const UserAgent = "GitHub-Hookshot/patpolicy"

// Limits of one delivery.
const (
	// Timeout bounds a delivery from dialing to the end of the answer.
	Timeout = 10 * time.Second
	// MaxResponse caps how much of an answer's body is read.
	MaxResponse = 64 << 10
)

// ErrPrivateAddress refuses a delivery to an address of this machine or
// its private network.
var ErrPrivateAddress = errors.New("webhook address is loopback, private, link-local or unspecified")

// Sender posts deliveries. Its client follows no redirect (a 3xx answer
// is a failed delivery) and, unless AllowPrivate, refuses at dial time
// any address that is not public: the address checked is the one
// connected to, after name resolution, so a name that resolves to a
// private address (at once, or only on a later lookup) is refused too.
type Sender struct {
	client *http.Client
}

// NewSender builds a Sender; allowPrivate lets deliveries reach loopback
// and private addresses (a demo, a test, a receiver on the same network).
func NewSender(allowPrivate bool) *Sender {
	dialer := &net.Dialer{Timeout: Timeout}
	if !allowPrivate {
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{
		// No proxy: the address checked must be the receiver's own.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   Timeout,
		ResponseHeaderTimeout: Timeout,
		MaxIdleConns:          16,
		IdleConnTimeout:       30 * time.Second,
	}
	return &Sender{client: &http.Client{
		Transport: transport,
		Timeout:   Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// refusePrivate is the dialer's check of the address it is about to
// connect to.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	if !Public(ip) {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, ip)
	}
	return nil
}

// Public reports whether ip may receive deliveries without
// --webhook-allow-private.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() && !ip.IsLinkLocalMulticast() &&
		!ip.IsUnspecified() && !ip.IsMulticast() && !ip.IsInterfaceLocalMulticast() &&
		!netip.MustParsePrefix("100.64.0.0/10").Contains(ip)
}

// Outcome is what became of one send.
type Outcome struct {
	StatusCode int // 0: no answer
	Duration   time.Duration
	Response   string // at most MaxResponse bytes of the answer's body
	Error      string // why there was no answer
}

// Send posts one delivery and reports its outcome; it never fails
// otherwise.
func (s *Sender) Send(ctx context.Context, d db.Claimed) Outcome {
	start := time.Now()
	out := s.send(ctx, d)
	out.Duration = time.Since(start)
	return out
}

func (s *Sender) send(ctx context.Context, d db.Claimed) Outcome {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return Outcome{Error: err.Error()}
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", UserAgent)
	h.Set("X-GitHub-Event", d.Event)
	h.Set("X-GitHub-Delivery", d.GUID)
	h.Set("X-GitHub-Hook-ID", strconv.FormatInt(d.HookID, 10))
	h.Set("X-GitHub-Hook-Installation-Target-Type", "organization")
	h.Set("X-GitHub-Hook-Installation-Target-ID", strconv.FormatInt(d.OrgID, 10))
	if d.Secret != "" {
		h.Set("X-Hub-Signature-256", payload.Signature(d.Secret, d.Payload))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return Outcome{Error: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse))
	out := Outcome{StatusCode: resp.StatusCode, Response: string(body)}
	if err != nil {
		out.Error = err.Error()
	}
	return out
}
