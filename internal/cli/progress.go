package cli

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress shows what a long step is doing on a terminal: nothing for the
// first second, then a spinner with the step and the time spent. On
// anything but a terminal it prints nothing.
type progress struct {
	w     io.Writer
	start time.Time

	mu   sync.Mutex
	step string
	done chan struct{}
	wg   sync.WaitGroup
}

func startProgress(w io.Writer, enabled bool) *progress {
	p := &progress{w: w, start: time.Now(), done: make(chan struct{})}
	if !enabled {
		return p
	}
	p.wg.Add(1)
	go p.run()
	return p
}

// Set names the current step.
func (p *progress) Set(step string) {
	p.mu.Lock()
	p.step = step
	p.mu.Unlock()
}

func (p *progress) run() {
	defer p.wg.Done()
	frames := []rune(`|/-\`)
	tick := time.NewTicker(150 * time.Millisecond)
	defer tick.Stop()
	shown := false
	for i := 0; ; i++ {
		select {
		case <-p.done:
			if shown {
				fmt.Fprint(p.w, "\r\033[K")
			}
			return
		case <-tick.C:
		}
		elapsed := time.Since(p.start)
		if elapsed < time.Second {
			continue
		}
		p.mu.Lock()
		step := p.step
		p.mu.Unlock()
		fmt.Fprintf(p.w, "\r\033[K%c %s (%ds)", frames[i%len(frames)], step, int(elapsed.Seconds()))
		shown = true
	}
}

// Stop clears the line and ends the spinner.
func (p *progress) Stop() {
	select {
	case <-p.done:
	default:
		close(p.done)
	}
	p.wg.Wait()
}
