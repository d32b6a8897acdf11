package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/secret"
)

const testKey = "FAKE-webhook-secret"

// receiver is a webhook endpoint that verifies signatures and answers
// with the statuses it is given, then 200.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	got      []Alert
	bad      []error
	attempts int
	// hold, when set, blocks every request until closed.
	hold chan struct{}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rc.hold != nil {
		<-rc.hold
	}
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.attempts++
	err := VerifySignature([]byte(testKey), r.Header.Get(SignatureHeader), body,
		time.Now(), 5*time.Minute)
	if err != nil {
		rc.bad = append(rc.bad, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if len(rc.statuses) > 0 {
		code := rc.statuses[0]
		rc.statuses = rc.statuses[1:]
		w.WriteHeader(code)
		return
	}
	var a Alert
	if err := json.Unmarshal(body, &a); err != nil || r.Header.Get(IDHeader) != a.ID {
		rc.bad = append(rc.bad, errors.New("bad body or id header"))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.got = append(rc.got, a)
}

func startReceiver(t *testing.T, rc *receiver) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(rc) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	return srv
}

func newTestWebhook(t *testing.T, url string, q QueueOptions) *Webhook {
	t.Helper()
	if q.Backoff.Initial == 0 {
		q.Backoff = Backoff{Initial: time.Millisecond, Max: 4 * time.Millisecond, Attempts: 4}
	}
	w, err := NewWebhook(WebhookOptions{URL: url, Secret: secret.New(testKey), Queue: q,
		Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func closeWithin(t *testing.T, s Sink, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestWebhookDelivery(t *testing.T) {
	tests := []struct {
		name         string
		statuses     []int
		wantGot      int
		wantAttempts int
		want         Stats
	}{
		{"signed and delivered", nil, 1, 1, Stats{Sent: 1}},
		{"retries on 500 then succeeds", []int{500, 503}, 1, 3, Stats{Sent: 1}},
		{"retries on 429", []int{429}, 1, 2, Stats{Sent: 1}},
		{"gives up after the attempts", []int{500, 500, 500, 500}, 0, 4, Stats{Failed: 1}},
		{"400 is not retried", []int{400}, 0, 1, Stats{Failed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := &receiver{statuses: tt.statuses}
			srv := startReceiver(t, rc)
			w := newTestWebhook(t, srv.URL+"/hook", QueueOptions{})
			w.Send(sampleAlert())
			closeWithin(t, w, 10*time.Second)

			rc.mu.Lock()
			defer rc.mu.Unlock()
			if len(rc.bad) > 0 {
				t.Fatalf("receiver refused: %v", rc.bad)
			}
			if len(rc.got) != tt.wantGot || rc.attempts != tt.wantAttempts {
				t.Errorf("got %d alerts in %d attempts, want %d in %d",
					len(rc.got), rc.attempts, tt.wantGot, tt.wantAttempts)
			}
			if tt.wantGot == 1 && rc.got[0].ID != sampleAlert().ID {
				t.Errorf("alert ID = %q", rc.got[0].ID)
			}
			if st := w.Stats(); st != tt.want {
				t.Errorf("stats = %+v, want %+v", st, tt.want)
			}
		})
	}
}

func TestWebhookQueueBound(t *testing.T) {
	rc := &receiver{hold: make(chan struct{})}
	srv := startReceiver(t, rc)
	var mu sync.Mutex
	var drops []string
	w := newTestWebhook(t, srv.URL, QueueOptions{Size: 3, OnDrop: func(id string, err error) {
		mu.Lock()
		defer mu.Unlock()
		drops = append(drops, id+": "+err.Error())
	}})

	// One alert per worker is taken and held by the receiver: a worker
	// takes no other alert while it delivers one, so once the queue is
	// empty after each is sent, every worker is busy and the queue's
	// contents are known. (Sent all at once, they would overflow it.)
	var want []string
	for i := range DefaultWebhookWorkers {
		a := sampleAlert()
		a.ID = fmt.Sprintf("held%d", i)
		w.Send(a)
		want = append(want, a.ID)
		deadline := time.Now().Add(5 * time.Second)
		for w.Len() != 0 {
			if time.Now().After(deadline) {
				close(rc.hold)
				t.Fatalf("alert %s was never taken from the queue", a.ID)
			}
			time.Sleep(time.Millisecond)
		}
	}
	start := time.Now()
	for _, id := range []string{"q1", "q2", "q3", "q4", "q5"} {
		a := sampleAlert()
		a.ID = id
		w.Send(a)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Send blocked for %v while the receiver hung", d)
	}
	if w.Len() != 3 || w.Stats().Dropped != 2 {
		close(rc.hold)
		t.Fatalf("queue holds %d, dropped %d; want 3 and 2", w.Len(), w.Stats().Dropped)
	}
	close(rc.hold)
	closeWithin(t, w, 10*time.Second)

	rc.mu.Lock()
	defer rc.mu.Unlock()
	var ids []string
	for _, a := range rc.got {
		ids = append(ids, a.ID)
	}
	// The oldest waiting alerts (q1, q2) were dropped, not the newest; the
	// workers deliver in no set order.
	want = append(want, "q3", "q4", "q5")
	slices.Sort(ids)
	if !slices.Equal(ids, want) {
		t.Errorf("delivered %v, want %v", ids, want)
	}
	mu.Lock()
	defer mu.Unlock()
	wantDrops := []string{"q1: " + ErrQueueFull.Error(), "q2: " + ErrQueueFull.Error()}
	if !slices.Equal(drops, wantDrops) {
		t.Errorf("drops told %q, want %q", drops, wantDrops)
	}
}

// pickyReceiver fails every delivery of the alert with ID bad, and
// records the other alerts that arrived.
type pickyReceiver struct {
	bad string
	mu  sync.Mutex
	// badTries counts the deliveries of bad; got maps the others' IDs to
	// whether they arrived.
	badTries int
	got      map[string]bool
}

func (rc *pickyReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if id := r.Header.Get(IDHeader); id == rc.bad {
		rc.badTries++
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	} else if _, dup := rc.got[id]; !dup {
		rc.got[id] = true
	}
}

func TestWebhookFailingAlertDoesNotHoldOthers(t *testing.T) {
	// The receiver keeps failing one alert, retried with a long backoff;
	// the alerts sent after it still arrive, and the failing one is told
	// to OnDrop once, with its ID, when it is given up on.
	rc := &pickyReceiver{bad: "bad", got: map[string]bool{}}
	srv := httptest.NewServer(rc) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	drops := make(chan string, 10)
	w := newTestWebhook(t, srv.URL, QueueOptions{
		Backoff: Backoff{Initial: time.Hour, Max: time.Hour, Attempts: 3},
		OnDrop:  func(id string, err error) { drops <- id + ": " + err.Error() },
	})
	bad := sampleAlert()
	bad.ID = "bad"
	w.Send(bad)
	others := []string{"ok1", "ok2", "ok3", "ok4", "ok5", "ok6"}
	for _, id := range others {
		a := sampleAlert()
		a.ID = id
		w.Send(a)
	}

	deadline := time.Now().Add(5 * time.Second)
	for {
		rc.mu.Lock()
		n := len(rc.got)
		rc.mu.Unlock()
		if n == len(others) && w.Stats().Sent == int64(n) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d alerts arrived while one was being retried", n, len(others))
		}
		time.Sleep(time.Millisecond)
	}

	// The failing alert waits an hour for its retry: Close gives up on it.
	closeWithin(t, w, 50*time.Millisecond)
	close(drops)
	var got []string
	for d := range drops {
		got = append(got, d)
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "bad: ") ||
		!strings.Contains(got[0], "answered 503") {
		t.Errorf("drops told %q, want bad once, with its last error", got)
	}
	if st := w.Stats(); st.Dropped != 1 || st.Sent != int64(len(others)) {
		t.Errorf("stats = %+v, want the failing alert dropped", st)
	}
}

func TestQueueGivesUpOnce(t *testing.T) {
	// A delivery that keeps failing is retried up to Attempts and told to
	// OnDrop once, with the number of attempts, not once per attempt.
	var mu sync.Mutex
	var drops []string
	tries := 0
	q := NewQueue(func(context.Context, Alert) error {
		mu.Lock()
		defer mu.Unlock()
		tries++
		return errors.New("FAKE receiver down")
	}, QueueOptions{Backoff: Backoff{Initial: time.Millisecond, Max: time.Millisecond,
		Attempts: 3}, OnDrop: func(id string, err error) {
		mu.Lock()
		defer mu.Unlock()
		drops = append(drops, id+": "+err.Error())
	}})
	a := sampleAlert()
	a.ID = "a1"
	q.Send(a)
	closeWithin(t, q, 5*time.Second)
	mu.Lock()
	defer mu.Unlock()
	want := []string{"a1: gave up after 3 attempts: FAKE receiver down"}
	if tries != 3 || !slices.Equal(drops, want) {
		t.Errorf("tries %d, drops %q; want 3 and %q", tries, drops, want)
	}
	if st := q.Stats(); st.Failed != 1 {
		t.Errorf("stats = %+v, want 1 failed", st)
	}
}

func TestWebhookCloseGivesUp(t *testing.T) {
	rc := &receiver{statuses: []int{500, 500, 500, 500, 500, 500}}
	srv := startReceiver(t, rc)
	w := newTestWebhook(t, srv.URL, QueueOptions{Backoff: Backoff{Initial: time.Hour,
		Max: time.Hour, Attempts: 5}})
	w.Send(sampleAlert())
	w.Send(sampleAlert())
	start := time.Now()
	closeWithin(t, w, 200*time.Millisecond)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v despite its deadline", d)
	}
	if st := w.Stats(); st.Dropped != 2 || st.Sent != 0 {
		t.Errorf("stats = %+v, want both dropped", st)
	}
}

func TestWebhookErrorsHideURL(t *testing.T) {
	// A closed port on 127.0.0.1: the connection is refused.
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/services/FAKE-TOKEN-in-path?key=FAKE-query"
	srv.Close()
	var mu sync.Mutex
	var msgs []string
	w := newTestWebhook(t, url, QueueOptions{OnError: func(err error, _ int) {
		mu.Lock()
		msgs = append(msgs, err.Error())
		mu.Unlock()
	}})
	w.Send(sampleAlert())
	closeWithin(t, w, 5*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if len(msgs) == 0 {
		t.Fatal("no delivery error reported")
	}
	for _, m := range msgs {
		if strings.Contains(m, "FAKE") {
			t.Errorf("error shows the URL's path or query: %s", m)
		}
	}
}

func TestVerifySignature(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"x"}`)
	good := Sign([]byte(testKey), now, body)
	tests := []struct {
		name   string
		header string
		body   []byte
		key    string
		want   error
	}{
		{"good", good, body, testKey, nil},
		{"other body", good, []byte(`{"id":"y"}`), testKey, ErrSignatureInvalid},
		{"other key", good, body, "FAKE-other", ErrSignatureInvalid},
		{"stale", Sign([]byte(testKey), now.Add(-time.Hour), body), body, testKey,
			ErrSignatureStale},
		{"missing", "", body, testKey, ErrSignatureMissing},
		{"no v1", "t=1800000000", body, testKey, ErrSignatureMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature([]byte(tt.key), tt.header, tt.body, now, 5*time.Minute)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewWebhookRefuses(t *testing.T) {
	tests := []struct {
		name string
		o    WebhookOptions
	}{
		{"no secret", WebhookOptions{URL: "http://127.0.0.1:9/x"}},
		{"ftp", WebhookOptions{URL: "ftp://127.0.0.1/x", Secret: secret.New(testKey)}},
		{"no host", WebhookOptions{URL: "http:///x", Secret: secret.New(testKey)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if w, err := NewWebhook(tt.o); err == nil {
				w.Close(context.Background())
				t.Error("accepted")
			}
		})
	}
}
