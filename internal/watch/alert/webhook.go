package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/secret"
)

// SignatureHeader carries the webhook signature: "t=UNIX,v1=HEX", where
// HEX is the HMAC-SHA256, keyed with the shared secret, of the decimal
// UNIX time, a dot, and the request body. A receiver recomputes it, and
// refuses a time too far from its clock to stop replays.
const SignatureHeader = "X-Ward-Signature"

// IDHeader carries the alert ID, so a receiver can drop a retried
// delivery it already has.
const IDHeader = "X-Ward-Alert-Id"

// DefaultWebhookTimeout bounds one POST when the configuration sets none.
const DefaultWebhookTimeout = 10 * time.Second

// DefaultWebhookWorkers is how many alerts a webhook posts at once when
// its QueueOptions set no Workers: a receiver that keeps failing one alert
// then delays the others by nothing, as long as fewer alerts than this
// are being retried.
const DefaultWebhookWorkers = 4

// Sign returns the signature header value of body at time ts.
func Sign(key []byte, ts time.Time, body []byte) string {
	t := strconv.FormatInt(ts.Unix(), 10)
	return "t=" + t + ",v1=" + mac(key, t, body)
}

func mac(key []byte, t string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(t))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Errors of VerifySignature.
var (
	ErrSignatureMissing = errors.New("signature header missing or malformed")
	ErrSignatureStale   = errors.New("signature time outside the tolerance")
	ErrSignatureInvalid = errors.New("signature does not match the body")
)

// VerifySignature checks a signature header against body, as a receiver
// would: the time must be within tolerance of now and one v1 value must
// match (compared in constant time).
func VerifySignature(key []byte, header string, body []byte, now time.Time,
	tolerance time.Duration) error {
	var t string
	var sigs []string
	for _, kv := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		switch {
		case !ok:
			return ErrSignatureMissing
		case k == "t":
			t = v
		case k == "v1":
			sigs = append(sigs, v)
		}
	}
	ts, err := strconv.ParseInt(t, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrSignatureMissing
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrSignatureStale
	}
	want := mac(key, t, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return ErrSignatureInvalid
}

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	// URL receives a POST of each alert as JSON; http or https.
	URL string
	// Secret keys the signature. It is required.
	Secret secret.Value
	// Timeout bounds one POST (default 10 s).
	Timeout time.Duration
	Queue   QueueOptions
	// Client is the HTTP client; nil builds one with Timeout that does
	// not follow redirects.
	Client *http.Client
	// Now is the clock of the signature time; nil means time.Now.
	Now func() time.Time
}

// Webhook posts alerts to a URL, signed, from a bounded queue with a few
// workers (DefaultWebhookWorkers), so alerts may arrive out of order.
// Each alert is retried on its own: network errors, 408, 429 and 5xx
// answers are retried with backoff; other answers outside 2xx are
// permanent failures.
type Webhook struct {
	*Queue
	url    string
	host   string
	key    secret.Value
	client *http.Client
	now    func() time.Time
}

// NewWebhook checks o and starts the webhook's queue.
func NewWebhook(o WebhookOptions) (*Webhook, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// url.Parse errors quote the URL, whose path may hold a token.
		return nil, errors.New("webhook url: write http(s)://HOST/PATH")
	}
	if o.Secret.IsZero() {
		return nil, errors.New("webhook secret: required, so that receivers can verify alerts")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultWebhookTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Queue.Workers <= 0 {
		o.Queue.Workers = DefaultWebhookWorkers
	}
	w := &Webhook{url: o.URL, host: u.Scheme + "://" + u.Host, key: o.Secret,
		client: o.Client, now: o.Now}
	if w.client == nil {
		w.client = &http.Client{
			Timeout: o.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	w.Queue = NewQueue(w.post, o.Queue)
	return w, nil
}

// Host returns the scheme and host of the URL, for messages: the path and
// query may hold a token and are never shown.
func (w *Webhook) Host() string { return w.host }

// post delivers one alert.
func (w *Webhook) post(ctx context.Context, a Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return Permanent(fmt.Errorf("webhook %s: encode alert: %w", w.host, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("webhook %s: build request", w.host))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ward-watch")
	req.Header.Set(IDHeader, a.ID)
	req.Header.Set(SignatureHeader, Sign([]byte(w.key.Reveal()), w.now(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		// The error text of net/http quotes the URL: report the host only.
		return fmt.Errorf("webhook %s: post: %w", w.host, cause(err))
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return fmt.Errorf("webhook %s: answered %d", w.host, c)
	default:
		return Permanent(fmt.Errorf("webhook %s: answered %d", w.host, c))
	}
}

// cause strips the *url.Error wrapper, whose text holds the URL, so that
// only what went wrong is shown.
func cause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return errors.New("request failed")
}
