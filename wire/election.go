package wire

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Election port (QuorumCnxManager, "3888") byte formats. Layouts:
//
// Initial message, sent once by the connecting side right after the TCP connect; no reply:
//
//	long protocolVersion  -65536 (V1, 3.5+) or -65535 (V2, 3.6+, only with multiAddress.enabled)
//	long sid
//	int  addrLen          1..2048
//	addrLen bytes         "host:port" (V2: "h1:p1|h2:p2|..."); IPv6 hosts in brackets
//
// 3.4 sends only a bare long sid (>= 0) and nothing else.
//
// Election frames, both directions after that: int32 length (1..524288) + payload. A
// notification payload (v2, 3.5+), 44+N bytes:
//
//	int  state            0 LOOKING, 1 FOLLOWING, 2 LEADING, 3 OBSERVING
//	long leader           proposed leader's sid
//	long zxid             proposed leader's last zxid
//	long electionEpoch    sender's logical clock (round)
//	long peerEpoch        proposed leader's epoch
//	int  version          2
//	int  configLen        N
//	N bytes               QuorumVerifier text "server.1=h:q:e:participant;ch:cp\n...version=<hex>"
//
// Older senders: 28 bytes (3.3: no peerEpoch, version, config), 36 bytes (3.4.0-3.4.5: +
// peerEpoch; rejected by every receiver since 3.4.6), 40 bytes (3.4.6+: + int version 1).

// Election-port constants (QuorumCnxManager, FastLeaderElection.Notification).
const (
	ElectionProtocolV1     int64 = -65536     // PROTOCOL_VERSION_V1: one address
	ElectionProtocolV2     int64 = -65535     // PROTOCOL_VERSION_V2: '|'-joined addresses (multiAddress)
	ElectionMaxAddrLen           = 2048       // QuorumCnxManager.maxBuffer
	ElectionMaxFrame             = 512 * 1024 // QuorumCnxManager.PACKETMAXSIZE
	NotificationVersion    int32 = 2          // Notification.CURRENTVERSION
	notificationHeaderSize       = 44
)

// ServerState is a peer's state as sent in notifications (QuorumPeer.ServerState ordinal).
type ServerState int32

// Server states.
const (
	Looking   ServerState = 0
	Following ServerState = 1
	Leading   ServerState = 2
	Observing ServerState = 3
)

// Valid reports whether s is one of the four states Java knows; receivers drop other values.
func (s ServerState) Valid() bool { return s >= Looking && s <= Observing }

func (s ServerState) String() string {
	switch s {
	case Looking:
		return "LOOKING"
	case Following:
		return "FOLLOWING"
	case Leading:
		return "LEADING"
	case Observing:
		return "OBSERVING"
	}
	return "STATE(" + strconv.Itoa(int(s)) + ")"
}

// Notification is one FastLeaderElection message.
type Notification struct {
	State         ServerState
	Leader        int64 // proposed leader (sid)
	Zxid          int64 // proposed leader's last logged zxid
	ElectionEpoch int64 // the sender's logical clock
	PeerEpoch     int64 // proposed leader's epoch
	// Version is the format version read from the message: 0 for the 28- and 40-byte
	// formats (Java does not read the 40-byte format's version field), else the sent value.
	Version int32
	// Config is the QuorumVerifier text; nil when the message carried none (version <= 1).
	Config []byte
}

// NotificationSize is the v2 payload size of n.
func NotificationSize(n *Notification) int { return notificationHeaderSize + len(n.Config) }

// AppendNotification appends n's payload (no frame length) in the v2 format that 3.5+ sends:
// the version field is always NotificationVersion, whatever n.Version holds.
func AppendNotification(b []byte, n *Notification) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(n.State))
	b = binary.BigEndian.AppendUint64(b, uint64(n.Leader))
	b = binary.BigEndian.AppendUint64(b, uint64(n.Zxid))
	b = binary.BigEndian.AppendUint64(b, uint64(n.ElectionEpoch))
	b = binary.BigEndian.AppendUint64(b, uint64(n.PeerEpoch))
	b = binary.BigEndian.AppendUint32(b, uint32(NotificationVersion))
	b = binary.BigEndian.AppendUint32(b, uint32(len(n.Config)))
	return append(b, n.Config...)
}

// AppendNotificationFrame appends n as an election frame: int32 length, then the payload.
func AppendNotificationFrame(b []byte, n *Notification) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(NotificationSize(n)))
	return AppendNotification(b, n)
}

// DecodeNotification decodes a notification payload the way FastLeaderElection's
// WorkerReceiver (3.5-3.9) does: fewer than 28 bytes is refused; exactly 28 bytes has no
// peerEpoch (taken from the zxid's high 32 bits); exactly 40 bytes has a peerEpoch but its
// version field is not read (version 0); any other size must hold peerEpoch and the int
// version (so 36 bytes, the 3.4.0-3.4.5 format, is refused), and when version > 1 an int
// configLen in 0..len(payload) and that many config bytes. Bytes after that are ignored, as
// Java ignores them. The state is returned as sent, even when not Valid (Java answers a
// non-voter before it looks at the state). Config aliases payload.
func DecodeNotification(payload []byte) (Notification, error) {
	var n Notification
	size := len(payload)
	if size < 28 {
		return n, fmt.Errorf("wire: notification: %d bytes, want at least 28", size)
	}
	be := binary.BigEndian
	n.State = ServerState(int32(be.Uint32(payload[0:])))
	n.Leader = int64(be.Uint64(payload[4:]))
	n.Zxid = int64(be.Uint64(payload[12:]))
	n.ElectionEpoch = int64(be.Uint64(payload[20:]))
	switch {
	case size == 28:
		n.PeerEpoch = n.Zxid >> 32 // ZxidUtils.getEpochFromZxid
		return n, nil
	case size < 36:
		return n, fmt.Errorf("wire: notification: %d bytes: peerEpoch truncated", size)
	}
	n.PeerEpoch = int64(be.Uint64(payload[28:]))
	if size == 40 {
		return n, nil
	}
	if size < 40 {
		return n, fmt.Errorf("wire: notification: %d bytes: version truncated (the 3.4.0-3.4.5 format is not accepted)", size)
	}
	n.Version = int32(be.Uint32(payload[36:]))
	if n.Version <= 1 {
		return n, nil
	}
	if size < 44 {
		return n, fmt.Errorf("wire: notification: %d bytes, version %d: configLen truncated", size, n.Version)
	}
	cl := int32(be.Uint32(payload[40:]))
	if cl < 0 || int(cl) > size {
		return n, fmt.Errorf("wire: notification: configLen %d outside 0..%d (message length)", cl, size)
	}
	if int(cl) > size-44 {
		return n, fmt.Errorf("wire: notification: configLen %d but %d bytes follow", cl, size-44)
	}
	n.Config = payload[44 : 44+cl : 44+cl]
	return n, nil
}

// AppendElectionFrame appends payload with its int32 length prefix.
func AppendElectionFrame(b, payload []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

// ReadElectionFrame reads one election frame, refusing a length <= 0 or > ElectionMaxFrame
// (QuorumCnxManager.RecvWorker) before allocating. buf is reused when large enough; the
// result aliases it.
func ReadElectionFrame(r io.Reader, buf []byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(hdr[:]))
	if n <= 0 || n > ElectionMaxFrame {
		return nil, &FrameError{fmt.Sprintf("election frame length %d outside 1..%d", n, ElectionMaxFrame)}
	}
	return ReadFrameBody(r, n, ElectionMaxFrame, buf)
}

// InitialMessage is what the connecting side of an election connection sends first.
type InitialMessage struct {
	// ProtocolVersion is ElectionProtocolV1 or V2, or 0 for 3.4's bare sid.
	ProtocolVersion int64
	Sid             int64
	// Addrs are the sender's election addresses, "host:port" (IPv6 hosts bracketed), with
	// wildcard addresses (0.0.0.0, ::) left out as Java leaves them out. Empty for 3.4.
	Addrs []string
}

// AppendInitialMessage appends the V1 initial message for sid with one election address
// "host:port" (what 3.5+ sends without multiAddress.enabled).
func AppendInitialMessage(b []byte, sid int64, addr string) []byte {
	v1 := ElectionProtocolV1
	b = binary.BigEndian.AppendUint64(b, uint64(v1))
	b = binary.BigEndian.AppendUint64(b, uint64(sid))
	b = binary.BigEndian.AppendUint32(b, uint32(len(addr)))
	return append(b, addr...)
}

// AppendLegacyInitialMessage appends 3.4's initial message: the bare sid.
func AppendLegacyInitialMessage(b []byte, sid int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(sid))
}

// ReadInitialMessage reads an initial message the way QuorumCnxManager.handleConnection
// (3.6-3.9) does: a first long >= 0 is 3.4's bare sid and nothing more is read; otherwise it
// must be V1 or V2, followed by the sid, an address length in 1..2048 and the address bytes,
// each '|'-separated entry being host:port (or [v6]:port) with a numeric port.
func ReadInitialMessage(r io.Reader) (InitialMessage, error) {
	var m InitialMessage
	var b [12]byte
	if _, err := io.ReadFull(r, b[:8]); err != nil {
		return m, fmt.Errorf("wire: election initial message: %w", err)
	}
	first := int64(binary.BigEndian.Uint64(b[:8]))
	if first >= 0 {
		m.Sid = first
		return m, nil
	}
	if first != ElectionProtocolV1 && first != ElectionProtocolV2 {
		return m, fmt.Errorf("wire: election initial message: unrecognized protocol version %d", first)
	}
	m.ProtocolVersion = first
	if _, err := io.ReadFull(r, b[:12]); err != nil {
		return m, fmt.Errorf("wire: election initial message: %w", noEOF(err))
	}
	m.Sid = int64(binary.BigEndian.Uint64(b[:8]))
	n := int32(binary.BigEndian.Uint32(b[8:12]))
	if n <= 0 || n > ElectionMaxAddrLen {
		return m, fmt.Errorf("wire: election initial message from sid %d: address length %d outside 1..%d", m.Sid, n, ElectionMaxAddrLen)
	}
	addr := make([]byte, n)
	if _, err := io.ReadFull(r, addr); err != nil {
		return m, fmt.Errorf("wire: election initial message from sid %d: address: %w", m.Sid, noEOF(err))
	}
	for _, a := range strings.Split(string(addr), "|") {
		host, _, err := SplitElectionAddr(a)
		if err != nil {
			return m, fmt.Errorf("wire: election initial message from sid %d: %w", m.Sid, err)
		}
		if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
			continue
		}
		m.Addrs = append(m.Addrs, a)
	}
	return m, nil
}

// SplitElectionAddr splits "host:port" or "[v6]:port" as ConfigUtils.getHostAndPort does,
// requiring exactly a host and a port in 0..65535.
func SplitElectionAddr(s string) (host string, port int, err error) {
	var parts []string
	if strings.HasPrefix(s, "[") {
		i := strings.IndexByte(s, ']')
		if i < 0 {
			return "", 0, fmt.Errorf("badly formed address %q: '[' without ']'", s)
		}
		if i+2 >= len(s) {
			return "", 0, fmt.Errorf("badly formed address %q: no port after ']:'", s)
		}
		parts = append([]string{s[1:i]}, javaSplit(s[i+2:], ":")...)
	} else {
		parts = javaSplit(s, ":")
	}
	if len(parts) != 2 {
		return "", 0, fmt.Errorf("badly formed address %q", s)
	}
	p, perr := strconv.Atoi(strings.TrimPrefix(parts[1], "+"))
	if perr != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("bad port number in %q", s)
	}
	return parts[0], p, nil
}

// javaSplit is String.split with a literal separator: trailing empty strings are removed.
func javaSplit(s, sep string) []string {
	parts := strings.Split(s, sep)
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
