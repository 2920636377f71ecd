package quorum

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
)

// ProtocolVersion is "Zab 1.0" (0x10000), sent in LearnerInfo and LEADERINFO.
const ProtocolVersion = 0x10000

// maxPacketData bounds a quorum packet's data (snapshots travel outside packets).
const maxPacketData = 64 << 20

// readPacket reads one unframed QuorumPacket from a buffered stream.
func readPacket(r *bufio.Reader) (*records.QuorumPacket, error) {
	var p records.QuorumPacket
	var hdr [16]byte
	if _, err := io.ReadFull(r, hdr[:12]); err != nil {
		return nil, err
	}
	d := jute.NewDecoder(hdr[:12])
	p.Type, _ = d.Int()
	p.Zxid, _ = d.Long()
	n, err := readLen(r)
	if err != nil {
		return nil, fmt.Errorf("quorum packet data: %w", err)
	}
	if n >= 0 {
		p.Data = make([]byte, n)
		if _, err := io.ReadFull(r, p.Data); err != nil {
			return nil, err
		}
	}
	cnt, err := readLen(r)
	if err != nil {
		return nil, fmt.Errorf("quorum packet authinfo: %w", err)
	}
	if cnt >= 0 {
		p.Authinfo = make([]records.ID, 0, min(cnt, 16))
		for i := 0; i < cnt; i++ {
			var id records.ID
			for _, f := range []*string{&id.Scheme, &id.ID} {
				l, err := readLen(r)
				if err != nil {
					return nil, err
				}
				if l < 0 {
					continue
				}
				b := make([]byte, l)
				if _, err := io.ReadFull(r, b); err != nil {
					return nil, err
				}
				*f = string(b)
			}
			p.Authinfo = append(p.Authinfo, id)
		}
	}
	return &p, nil
}

func readLen(r *bufio.Reader) (int, error) {
	var b [4]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, err
	}
	n := int(int32(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])))
	if n < -1 || n > maxPacketData {
		return 0, fmt.Errorf("bad length %d", n)
	}
	return n, nil
}

// sender writes packets to a peer from a queue, so the node loop never blocks on a socket.
type sender struct {
	mu     sync.Mutex
	q      []*records.QuorumPacket
	raw    [][]byte // raw bytes queued after the packet at the same index (SNAP stream)
	wake   chan struct{}
	done   chan struct{}
	w      *bufio.Writer
	conn   net.Conn
	err    error
	closed bool
}

func newSender(conn net.Conn) *sender {
	s := &sender{wake: make(chan struct{}, 1), done: make(chan struct{}), w: bufio.NewWriterSize(conn, 64<<10), conn: conn}
	go s.run()
	return s
}

// Send queues a packet.
func (s *sender) Send(p *records.QuorumPacket) { s.send(p, nil) }

func (s *sender) send(p *records.QuorumPacket, raw []byte) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.q = append(s.q, p)
	s.raw = append(s.raw, raw)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *sender) run() {
	defer close(s.done)
	for {
		<-s.wake
		s.mu.Lock()
		q, raw, closed := s.q, s.raw, s.closed
		s.q, s.raw = nil, nil
		s.mu.Unlock()
		for i, p := range q {
			if _, err := s.w.Write(p.Append(make([]byte, 0, p.Size()))); err != nil {
				s.fail(err)
				return
			}
			if raw[i] != nil {
				if _, err := s.w.Write(raw[i]); err != nil {
					s.fail(err)
					return
				}
			}
		}
		if err := s.w.Flush(); err != nil {
			s.fail(err)
			return
		}
		if closed {
			return
		}
	}
}

func (s *sender) fail(err error) {
	s.mu.Lock()
	s.err = err
	s.closed = true
	s.mu.Unlock()
	s.conn.Close()
}

// close stops the sender after what is queued.
func (s *sender) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func deadline(conn net.Conn, d time.Duration) { conn.SetReadDeadline(time.Now().Add(d)) }
