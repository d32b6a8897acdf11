package alert

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"
)

// DefaultSyslogTimeout bounds connecting and writing one message.
const DefaultSyslogTimeout = 5 * time.Second

// SyslogOptions configure a Syslog sink.
type SyslogOptions struct {
	// Network is udp, tcp or unix (a datagram socket such as /dev/log).
	Network string
	// Address is HOST:PORT for udp and tcp, a socket path for unix.
	Address string
	// Facility is the RFC 5424 facility (default FacilityAuthPriv).
	Facility int
	// Hostname defaults to os.Hostname; AppName to "ward".
	Hostname string
	AppName  string
	Timeout  time.Duration
	Queue    QueueOptions
}

// Syslog sends alerts as RFC 5424 messages: one per datagram over UDP or
// a unix socket (RFC 5426), octet-counted over TCP (RFC 6587 §3.4.1). The
// connection is opened on first use and opened again after an error.
type Syslog struct {
	*Queue
	network string
	address string
	timeout time.Duration
	header  Header

	mu   sync.Mutex // guards conn; only the queue goroutine uses it
	conn net.Conn
}

// NewSyslog checks o and starts the sink's queue. It does not connect.
func NewSyslog(o SyslogOptions) (*Syslog, error) {
	switch o.Network {
	case "udp", "tcp":
		if _, _, err := net.SplitHostPort(o.Address); err != nil {
			return nil, fmt.Errorf("syslog address %q: write HOST:PORT", o.Address)
		}
	case "unix":
		if o.Address == "" {
			return nil, fmt.Errorf("syslog address: write the path of the socket, such as /dev/log")
		}
	default:
		return nil, fmt.Errorf("syslog network %q: use udp, tcp or unix", o.Network)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultSyslogTimeout
	}
	if o.Hostname == "" {
		o.Hostname, _ = os.Hostname()
	}
	if o.AppName == "" {
		o.AppName = "ward"
	}
	if o.Facility == 0 {
		o.Facility = FacilityAuthPriv
	}
	s := &Syslog{network: o.Network, address: o.Address, timeout: o.Timeout,
		header: Header{Facility: o.Facility, Hostname: o.Hostname, AppName: o.AppName,
			ProcID: strconv.Itoa(os.Getpid())}}
	s.Queue = NewQueue(s.write, o.Queue)
	return s, nil
}

// Close implements Sink: it delivers what is queued, then closes the
// connection.
func (s *Syslog) Close(ctx context.Context) error {
	err := s.Queue.Close(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
	return err
}

// write delivers one alert, connecting first when needed.
func (s *Syslog) write(ctx context.Context, a Alert) error {
	msg := FormatRFC5424(s.header, a)
	if s.network == "tcp" {
		msg = append([]byte(strconv.Itoa(len(msg))+" "), msg...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		network := s.network
		if network == "unix" {
			network = "unixgram"
		}
		d := net.Dialer{Timeout: s.timeout}
		c, err := d.DialContext(ctx, network, s.address)
		if err != nil {
			return fmt.Errorf("syslog %s %s: %w", s.network, s.address, err)
		}
		s.conn = c
	}
	s.conn.SetWriteDeadline(time.Now().Add(s.timeout))
	if _, err := s.conn.Write(msg); err != nil {
		s.conn.Close()
		s.conn = nil
		return fmt.Errorf("syslog %s %s: %w", s.network, s.address, err)
	}
	return nil
}
