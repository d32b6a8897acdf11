package alert

import (
	"context"
	"errors"
	"fmt"
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
	DefaultWorkers     = 1
)

// Reasons given to QueueOptions.OnDrop for an alert that was not
// delivered without a delivery error of its own.
var (
	// ErrQueueFull: the queue was full and the alert was the oldest
	// waiting, dropped to make room for a newer one.
	ErrQueueFull = errors.New("queue full: the oldest alert waiting was dropped")
	// ErrQueueClosed: the alert came after Close, or was still waiting or
	// being retried when Close's context ended.
	ErrQueueClosed = errors.New("queue closed before the alert was delivered")
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

// Queue is a bounded queue of alerts with a fixed pool of goroutines that
// deliver them, each alert retried on failure with Backoff. With one
// worker alerts are delivered in order; with more, a receiver that fails
// one alert does not hold back the others, and the order is not kept.
// Send never blocks: when the queue is full, the oldest alert waiting is
// dropped and counted.
type Queue struct {
	deliver Deliver
	backoff Backoff
	rand    func() float64
	// onError, when set, is told of each failed delivery attempt; onDrop
	// of each alert given up on.
	onError func(err error, attempt int)
	onDrop  func(id string, err error)

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
	// randMu guards rand, which the workers share.
	randMu sync.Mutex
}

// QueueOptions configure a Queue. Zero values take the defaults.
type QueueOptions struct {
	Size    int
	Backoff Backoff
	// Rand returns a number in [0, 1) for the jitter; nil uses math/rand.
	Rand func() float64
	// Workers is how many alerts are delivered at once (default 1).
	Workers int
	// OnError is told of each failed attempt, for debugging. It must not
	// block.
	OnError func(err error, attempt int)
	// OnDrop is told once of each alert that will not be delivered: its ID
	// and why (ErrQueueFull, ErrQueueClosed, or the last delivery error,
	// with the number of attempts). It must not block. It may be called
	// from Send.
	OnDrop func(id string, err error)
}

// NewQueue starts a queue that hands alerts to deliver.
func NewQueue(deliver Deliver, o QueueOptions) *Queue {
	if o.Size <= 0 {
		o.Size = DefaultQueueSize
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	stop, cancel := context.WithCancel(context.Background())
	q := &Queue{
		deliver: deliver, backoff: o.Backoff.withDefaults(), rand: o.Rand, onError: o.OnError,
		onDrop: o.OnDrop,
		buf:    make([]Alert, o.Size),
		wake:   make(chan struct{}, 1), closing: make(chan struct{}),
		stop: stop, cancel: cancel, done: make(chan struct{}),
	}
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.run()
		}()
	}
	go func() {
		wg.Wait()
		close(q.done)
	}()
	return q
}

// Send implements Sink.
func (q *Queue) Send(a Alert) {
	q.mu.Lock()
	select {
	case <-q.closing:
		q.stats.Dropped++
		q.mu.Unlock()
		q.dropped(a.ID, ErrQueueClosed)
		return
	default:
	}
	var oldest string
	full := q.n == len(q.buf)
	if full {
		oldest = q.buf[q.head].ID
		q.buf[q.head] = Alert{}
		q.head = (q.head + 1) % len(q.buf)
		q.n--
		q.stats.Dropped++
	}
	q.buf[(q.head+q.n)%len(q.buf)] = a
	q.n++
	q.mu.Unlock()
	if full {
		q.dropped(oldest, ErrQueueFull)
	}
	q.signal()
}

// signal wakes a waiting worker, if none is already woken.
func (q *Queue) signal() {
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
	if q.n > 0 {
		// More is waiting: pass the wake-up on to another worker.
		q.signal()
	}
	return a, true, closing
}

// dropped tells OnDrop of an alert given up on.
func (q *Queue) dropped(id string, err error) {
	if q.onDrop != nil {
		q.onDrop(id, err)
	}
}

// run is one worker: it delivers alerts until the queue is closed and
// empty.
func (q *Queue) run() {
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
			q.dropped(a.ID, ErrQueueClosed)
			continue
		}
		n, err := q.attempt(a)
		switch {
		case err == nil:
			q.count(func(s *Stats) { s.Sent++ })
		case q.stop.Err() != nil:
			q.count(func(s *Stats) { s.Dropped++ })
			q.dropped(a.ID, fmt.Errorf("%w (after %d attempts: %w)", ErrQueueClosed, n, err))
		default:
			q.count(func(s *Stats) { s.Failed++ })
			q.dropped(a.ID, fmt.Errorf("gave up after %d attempts: %w", n, err))
		}
	}
}

func (q *Queue) count(f func(*Stats)) {
	q.mu.Lock()
	f(&q.stats)
	q.mu.Unlock()
}

// attempt delivers a with retries; n is the number of attempts made.
func (q *Queue) attempt(a Alert) (n int, err error) {
	for n = 1; ; n++ {
		err = q.deliver(q.stop, a)
		if err == nil {
			return n, nil
		}
		if q.onError != nil {
			q.onError(err, n)
		}
		var perm *permanentError
		if errors.As(err, &perm) || n >= q.backoff.Attempts {
			return n, err
		}
		t := time.NewTimer(q.backoff.wait(n, q.jitter()))
		select {
		case <-t.C:
		case <-q.stop.Done():
			t.Stop()
			return n, err
		}
	}
}

// jitter returns a number in [0, 1) from rand, which may not be safe for
// concurrent use.
func (q *Queue) jitter() float64 {
	q.randMu.Lock()
	defer q.randMu.Unlock()
	return q.rand()
}
