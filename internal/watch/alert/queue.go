package alert

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// Defaults of a Queue.
const (
	DefaultQueueSize   = 1000
	DefaultInitialWait = 500 * time.Millisecond
	DefaultMaxWait     = 30 * time.Second
	DefaultAttempts    = 6
)

// Backoff says how often and how patiently a failed delivery is retried:
// the wait before retry n (1-based) is Initial·2^(n-1), capped at Max, of
// which a random half is kept ("equal jitter"), so that many ward
// processes retrying after one outage do not hit the receiver in step.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	// Attempts is the number of tries in all, the first included.
	Attempts int
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = DefaultInitialWait
	}
	if b.Max <= 0 {
		b.Max = DefaultMaxWait
	}
	if b.Attempts <= 0 {
		b.Attempts = DefaultAttempts
	}
	return b
}

// wait returns the pause before retry n (n ≥ 1); r is a number in [0, 1).
func (b Backoff) wait(n int, r float64) time.Duration {
	d := b.Initial
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	half := d / 2
	return half + time.Duration(r*float64(d-half))
}

// permanentError marks a delivery failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying, such as a 400 answer.
func Permanent(err error) error { return &permanentError{err: err} }

// Deliver sends one alert to a receiver. It returns an error marked with
// Permanent when retrying would not help.
type Deliver func(ctx context.Context, a Alert) error

// Queue is a bounded queue of alerts with one goroutine that delivers
// them in order, retrying failures with Backoff. Send never blocks: when
// the queue is full, the oldest alert waiting is dropped and counted.
type Queue struct {
	deliver Deliver
	backoff Backoff
	rand    func() float64
	// onError, when set, is told of each failed delivery attempt.
	onError func(err error, attempt int)

	mu    sync.Mutex
	buf   []Alert // ring of len cap
	head  int
	n     int
	stats Stats

	wake    chan struct{}
	closing chan struct{}
	// stop ends delivery, including retry waits, when Close's ctx ends.
	stop     context.Context
	cancel   context.CancelFunc
	done     chan struct{}
	closeOne sync.Once
}

// QueueOptions configure a Queue. Zero values take the defaults.
type QueueOptions struct {
	Size    int
	Backoff Backoff
	// Rand returns a number in [0, 1) for the jitter; nil uses math/rand.
	Rand func() float64
	// OnError is told of each failed attempt, for logging. It must not
	// block.
	OnError func(err error, attempt int)
}

// NewQueue starts a queue that hands alerts to deliver.
func NewQueue(deliver Deliver, o QueueOptions) *Queue {
	if o.Size <= 0 {
		o.Size = DefaultQueueSize
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	stop, cancel := context.WithCancel(context.Background())
	q := &Queue{
		deliver: deliver, backoff: o.Backoff.withDefaults(), rand: o.Rand, onError: o.OnError,
		buf:  make([]Alert, o.Size),
		wake: make(chan struct{}, 1), closing: make(chan struct{}),
		stop: stop, cancel: cancel, done: make(chan struct{}),
	}
	go q.run()
	return q
}

// Send implements Sink.
func (q *Queue) Send(a Alert) {
	q.mu.Lock()
	select {
	case <-q.closing:
		q.stats.Dropped++
		q.mu.Unlock()
		return
	default:
	}
	if q.n == len(q.buf) {
		q.buf[q.head] = Alert{}
		q.head = (q.head + 1) % len(q.buf)
		q.n--
		q.stats.Dropped++
	}
	q.buf[(q.head+q.n)%len(q.buf)] = a
	q.n++
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Close implements Sink: it stops accepting alerts, delivers those queued
// until ctx ends, and counts the rest as dropped.
func (q *Queue) Close(ctx context.Context) error {
	q.closeOne.Do(func() {
		q.mu.Lock()
		close(q.closing)
		q.mu.Unlock()
	})
	select {
	case <-q.done:
		return nil
	case <-ctx.Done():
	}
	q.cancel()
	<-q.done
	return nil
}

// Stats implements Counter.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.stats
}

// Len returns the number of alerts waiting.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// pop takes the oldest alert; ok is false when the queue is empty.
func (q *Queue) pop() (a Alert, ok bool, closing bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	select {
	case <-q.closing:
		closing = true
	default:
	}
	if q.n == 0 {
		return Alert{}, false, closing
	}
	a = q.buf[q.head]
	q.buf[q.head] = Alert{}
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return a, true, closing
}

func (q *Queue) run() {
	defer close(q.done)
	for {
		a, ok, closing := q.pop()
		if !ok {
			if closing {
				return
			}
			select {
			case <-q.wake:
			case <-q.closing:
			}
			continue
		}
		if q.stop.Err() != nil {
			q.count(func(s *Stats) { s.Dropped++ })
			continue
		}
		err := q.attempt(a)
		switch {
		case err == nil:
			q.count(func(s *Stats) { s.Sent++ })
		case q.stop.Err() != nil:
			q.count(func(s *Stats) { s.Dropped++ })
		default:
			q.count(func(s *Stats) { s.Failed++ })
		}
	}
}

func (q *Queue) count(f func(*Stats)) {
	q.mu.Lock()
	f(&q.stats)
	q.mu.Unlock()
}

// attempt delivers a with retries.
func (q *Queue) attempt(a Alert) error {
	var err error
	for n := 1; ; n++ {
		err = q.deliver(q.stop, a)
		if err == nil {
			return nil
		}
		if q.onError != nil {
			q.onError(err, n)
		}
		var perm *permanentError
		if errors.As(err, &perm) || n >= q.backoff.Attempts {
			return err
		}
		t := time.NewTimer(q.backoff.wait(n, q.rand()))
		select {
		case <-t.C:
		case <-q.stop.Done():
			t.Stop()
			return err
		}
	}
}
