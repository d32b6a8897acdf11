package alert

import (
	"bufio"
	"context"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readUDP returns the next datagram received on c (UDP or unixgram).
func readUDP(t *testing.T, c net.PacketConn) []byte {
	t.Helper()
	buf := make([]byte, 64<<10)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatalf("read datagram: %v", err)
	}
	return buf[:n]
}

// readFrame reads one octet-counted frame (RFC 6587 §3.4.1).
func readFrame(t *testing.T, r *bufio.Reader) []byte {
	t.Helper()
	lenText, err := r.ReadString(' ')
	if err != nil {
		t.Fatalf("read frame length: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSuffix(lenText, " "))
	if err != nil || n <= 0 {
		t.Fatalf("frame length %q is not a positive number", lenText)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		t.Fatalf("read frame of %d bytes: %v", n, err)
	}
	return msg
}

func checkReceived(t *testing.T, raw []byte, wantID string) {
	t.Helper()
	m, err := parseRFC5424(raw)
	if err != nil {
		t.Fatalf("strict RFC 5424 parse of %q: %v", raw, err)
	}
	if got, _ := m.param(SDID, "id"); got != wantID {
		t.Errorf("id = %q, want %q", got, wantID)
	}
	if m.AppName != "ward-test" || m.MsgID != "interactive_use" {
		t.Errorf("APP-NAME %q MSGID %q", m.AppName, m.MsgID)
	}
}

func TestSyslogUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	s, err := NewSyslog(SyslogOptions{Network: "udp", Address: pc.LocalAddr().String(),
		AppName: "ward-test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"first", "second"} {
		a := sampleAlert()
		a.ID = id
		s.Send(a)
		checkReceived(t, readUDP(t, pc), id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Sent != 2 || st.Dropped != 0 || st.Failed != 0 {
		t.Errorf("stats = %+v, want 2 sent", st)
	}
}

func TestSyslogUnix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.sock")
	pc, err := net.ListenPacket("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	s, err := NewSyslog(SyslogOptions{Network: "unix", Address: path, AppName: "ward-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	a := sampleAlert()
	a.ID = "over-unix"
	s.Send(a)
	checkReceived(t, readUDP(t, pc), "over-unix")
}

func TestSyslogTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	conns := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	s, err := NewSyslog(SyslogOptions{Network: "tcp", Address: ln.Addr().String(),
		AppName: "ward-test", Queue: QueueOptions{Backoff: Backoff{Initial: time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })

	a := sampleAlert()
	a.ID = "one"
	s.Send(a)
	c := <-conns
	r := bufio.NewReader(c)
	checkReceived(t, readFrame(t, r), "one")
	a.ID = "two"
	s.Send(a)
	checkReceived(t, readFrame(t, r), "two")

	// The receiver goes away: the sink reconnects and the alert arrives
	// on the new connection.
	c.Close()
	a.ID = "three"
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.Send(a)
		select {
		case c2 := <-conns:
			c2.SetReadDeadline(time.Now().Add(5 * time.Second))
			checkReceived(t, readFrame(t, bufio.NewReader(c2)), "three")
			c2.Close()
			return
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no reconnection after the receiver closed")
		}
	}
}

func TestNewSyslogRefuses(t *testing.T) {
	tests := []struct {
		name string
		o    SyslogOptions
	}{
		{"unknown network", SyslogOptions{Network: "sctp", Address: "127.0.0.1:514"}},
		{"udp without port", SyslogOptions{Network: "udp", Address: "127.0.0.1"}},
		{"unix without path", SyslogOptions{Network: "unix"}},
		{"no network", SyslogOptions{Address: "127.0.0.1:514"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := NewSyslog(tt.o); err == nil {
				s.Close(context.Background())
				t.Error("accepted")
			}
		})
	}
}
