package compat

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/zkgo/zkgo/compat/zkwire"
	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// norm turns server values into the scenario's stable names. See the package doc for the rules.
type norm struct {
	prefix   string
	zbase    int64 // first zxid > 0 seen in the scenario; 0 until then
	sessions map[int64]string
	start    time.Time // scenario start; times outside [start-1h, now+1h] are shown raw
	// hideStats renders every Stat as {...}: for nodes whose stat depends on what else the
	// server has seen (the root).
	hideStats bool
	// hideReplyZxids renders ReplyHeader zxids of replies as Z? (where the server may have made
	// txns of its own in between).
	hideReplyZxids bool
}

// zxid renders a zxid relative to the first one the scenario saw: Z0, Z1, ... Zero and -1 stay
// as they are; anything earlier than the base (a node older than the scenario) is Zpre.
func (n *norm) zxid(z int64) string {
	switch {
	case z == 0:
		return "0"
	case z == -1:
		return "-1"
	case z < 0:
		return "bad(" + strconv.FormatInt(z, 10) + ")"
	}
	if n.zbase == 0 {
		n.zbase = z
	}
	if z < n.zbase {
		return "Zpre"
	}
	return "Z" + strconv.FormatInt(z-n.zbase, 10)
}

func (n *norm) session(id int64) string {
	if id == 0 {
		return "0"
	}
	if name, ok := n.sessions[id]; ok {
		return name
	}
	return "unknown-session"
}

// path replaces the scenario's prefix with $P; paths with unprintable characters are quoted.
func (n *norm) path(p string) string {
	if n.prefix != "" {
		p = strings.ReplaceAll(p, n.prefix, "$P")
	}
	if p == "" || strings.ContainsFunc(p, func(r rune) bool { return !unicode.IsPrint(r) || r == ' ' || r == '"' }) {
		return strconv.Quote(p)
	}
	return p
}

func (n *norm) time(t int64) string {
	if t == 0 {
		return "0"
	}
	lo := n.start.Add(-time.Hour).UnixMilli()
	hi := time.Now().Add(time.Hour).UnixMilli()
	if t < lo || t > hi {
		return "t?(" + strconv.FormatInt(t, 10) + ")"
	}
	return "t"
}

// stat renders a Stat. ctime is "t" (a plausible wall-clock time) or 0; mtime is "=ctime" when
// the node was never modified (mzxid == czxid; then mtime must equal ctime), else "t" (it must
// not be earlier than ctime). Violations show the raw values.
func (n *norm) stat(s *records.Stat) string {
	if n.hideStats {
		return "{...}"
	}
	var b strings.Builder
	b.WriteString("{czxid=" + n.zxid(s.Czxid))
	b.WriteString(" mzxid=" + n.zxid(s.Mzxid))
	b.WriteString(" pzxid=" + n.zxid(s.Pzxid))
	b.WriteString(" ctime=" + n.time(s.Ctime))
	switch {
	case s.Mzxid == s.Czxid && s.Mtime == s.Ctime:
		b.WriteString(" mtime=ctime")
	case s.Mzxid == s.Czxid:
		fmt.Fprintf(&b, " mtime!=ctime(%d,%d)", s.Mtime, s.Ctime)
	case s.Mtime < s.Ctime:
		fmt.Fprintf(&b, " mtime<ctime(%d,%d)", s.Mtime, s.Ctime)
	default:
		b.WriteString(" mtime=" + n.time(s.Mtime))
	}
	fmt.Fprintf(&b, " ver=%d cver=%d aver=%d owner=%s len=%d nch=%d}",
		s.Version, s.Cversion, s.Aversion, n.session(s.EphemeralOwner), s.DataLength, s.NumChildren)
	return b.String()
}

// data renders a buffer: null, a quoted string when printable, else hex; long values by
// length and hash.
func data(b []byte) string {
	if b == nil {
		return "null"
	}
	if len(b) > 64 {
		h := fnv.New64a()
		h.Write(b)
		return fmt.Sprintf("<%d bytes fnv=%016x>", len(b), h.Sum64())
	}
	if utf8.Valid(b) && !bytes.ContainsFunc(b, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f }) {
		return strconv.Quote(string(b))
	}
	return fmt.Sprintf("0x%x", b)
}

// perms renders permission bits the way zkCli does (cdrwa), with unknown bits in hex.
func perms(p int32) string {
	var b strings.Builder
	for _, x := range []struct {
		bit int32
		c   byte
	}{{wire.PermCreate, 'c'}, {wire.PermDelete, 'd'}, {wire.PermRead, 'r'}, {wire.PermWrite, 'w'}, {wire.PermAdmin, 'a'}} {
		if p&x.bit != 0 {
			b.WriteByte(x.c)
		}
	}
	if rest := p &^ wire.PermAll; rest != 0 {
		fmt.Fprintf(&b, "+0x%x", rest)
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

func acls(l []records.ACL) string {
	if l == nil {
		return "null"
	}
	s := make([]string, len(l))
	for i, a := range l {
		s[i] = a.ID.Scheme + ":" + a.ID.ID + ":" + perms(a.Perms)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func (n *norm) paths(l []string, sorted bool) string {
	if l == nil {
		return "null"
	}
	s := make([]string, len(l))
	for i, p := range l {
		s[i] = n.path(p)
	}
	if sorted {
		slices.Sort(s)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func flagsName(f int32) string {
	switch f {
	case wire.ModePersistent:
		return "persistent"
	case wire.ModeEphemeral:
		return "ephemeral"
	case wire.ModePersistentSequential:
		return "persistent-seq"
	case wire.ModeEphemeralSequential:
		return "ephemeral-seq"
	case wire.ModeContainer:
		return "container"
	case wire.ModePersistentWithTTL:
		return "ttl"
	case wire.ModePersistentSequentialWithTTL:
		return "ttl-seq"
	}
	return "flags(" + strconv.Itoa(int(f)) + ")"
}

func watcherType(t int32) string {
	switch t {
	case wire.WatcherChildren:
		return "children"
	case wire.WatcherData:
		return "data"
	case wire.WatcherAny:
		return "any"
	case wire.WatcherPersistent:
		return "persistent"
	case wire.WatcherPersistentRecursive:
		return "persistent-recursive"
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

func stateName(s int32) string {
	switch s {
	case wire.StateSyncConnected:
		return "SyncConnected"
	case wire.StateDisconnected:
		return "Disconnected"
	case wire.StateExpired:
		return "Expired"
	case wire.StateAuthFailed:
		return "AuthFailed"
	case wire.StateConnectedRO:
		return "ConnectedReadOnly"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// request renders a request record.
func (n *norm) request(op wire.Op, rec jute.Record) string {
	switch r := rec.(type) {
	case nil:
		return ""
	case *records.CreateRequest:
		return fmt.Sprintf("%s %s %s %s", n.path(r.Path), data(r.Data), acls(r.ACL), flagsName(r.Flags))
	case *records.CreateTTLRequest:
		return fmt.Sprintf("%s %s %s %s ttl=%d", n.path(r.Path), data(r.Data), acls(r.ACL), flagsName(r.Flags), r.Ttl)
	case *records.DeleteRequest:
		return fmt.Sprintf("%s version=%d", n.path(r.Path), r.Version)
	case *records.DeleteContainerRequest:
		return n.path(r.Path)
	case *records.ExistsRequest:
		return fmt.Sprintf("%s watch=%v", n.path(r.Path), r.Watch)
	case *records.GetDataRequest:
		return fmt.Sprintf("%s watch=%v", n.path(r.Path), r.Watch)
	case *records.SetDataRequest:
		return fmt.Sprintf("%s %s version=%d", n.path(r.Path), data(r.Data), r.Version)
	case *records.GetACLRequest:
		return n.path(r.Path)
	case *records.SetACLRequest:
		return fmt.Sprintf("%s %s version=%d", n.path(r.Path), acls(r.ACL), r.Version)
	case *records.GetChildrenRequest:
		return fmt.Sprintf("%s watch=%v", n.path(r.Path), r.Watch)
	case *records.GetChildren2Request:
		return fmt.Sprintf("%s watch=%v", n.path(r.Path), r.Watch)
	case *records.SyncRequest:
		return n.path(r.Path)
	case *records.CheckVersionRequest:
		return fmt.Sprintf("%s version=%d", n.path(r.Path), r.Version)
	case *records.ReconfigRequest:
		return fmt.Sprintf("joining=%q leaving=%q members=%q config=%d", r.JoiningServers, r.LeavingServers, r.NewMembers, r.CurConfigID)
	case *records.CheckWatchesRequest:
		return fmt.Sprintf("%s %s", n.path(r.Path), watcherType(r.Type))
	case *records.RemoveWatchesRequest:
		return fmt.Sprintf("%s %s", n.path(r.Path), watcherType(r.Type))
	case *records.AuthPacket:
		return fmt.Sprintf("type=%d %s %s", r.Type, r.Scheme, data(r.Auth))
	case *records.SetWatches:
		return fmt.Sprintf("rel=%s data=%s exist=%s child=%s", n.zxid(r.RelativeZxid),
			n.paths(r.DataWatches, false), n.paths(r.ExistWatches, false), n.paths(r.ChildWatches, false))
	case *records.SetWatches2:
		return fmt.Sprintf("rel=%s data=%s exist=%s child=%s persistent=%s recursive=%s", n.zxid(r.RelativeZxid),
			n.paths(r.DataWatches, false), n.paths(r.ExistWatches, false), n.paths(r.ChildWatches, false),
			n.paths(r.PersistentWatches, false), n.paths(r.PersistentRecursiveWatches, false))
	case *records.GetSASLRequest:
		return data(r.Token)
	case *records.GetEphemeralsRequest:
		return n.path(r.PrefixPath)
	case *records.GetAllChildrenNumberRequest:
		return n.path(r.Path)
	case *records.AddWatchRequest:
		mode := "persistent"
		if r.Mode == wire.AddWatchPersistentRecursive {
			mode = "persistent-recursive"
		} else if r.Mode != wire.AddWatchPersistent {
			mode = "mode(" + strconv.Itoa(int(r.Mode)) + ")"
		}
		return n.path(r.Path) + " " + mode
	case zkwire.MultiRecord:
		s := make([]string, len(r))
		for i, o := range r {
			s[i] = o.Op.String() + " " + n.request(o.Op, o.Record)
		}
		return "{" + strings.Join(s, "; ") + "}"
	case rawRecord:
		return fmt.Sprintf("raw %d bytes 0x%x", len(r), []byte(r))
	}
	return fmt.Sprintf("%T", rec)
}

// response renders a decoded response record.
func (n *norm) response(rec jute.Record) string {
	switch r := rec.(type) {
	case *records.CreateResponse:
		return n.path(r.Path)
	case *records.Create2Response:
		return n.path(r.Path) + " " + n.stat(&r.Stat)
	case *records.ExistsResponse:
		return n.stat(&r.Stat)
	case *records.GetDataResponse:
		return data(r.Data) + " " + n.stat(&r.Stat)
	case *records.SetDataResponse:
		return n.stat(&r.Stat)
	case *records.SetACLResponse:
		return n.stat(&r.Stat)
	case *records.GetACLResponse:
		return acls(r.ACL) + " " + n.stat(&r.Stat)
	case *records.GetChildrenResponse:
		return n.paths(r.Children, true)
	case *records.GetChildren2Response:
		return n.paths(r.Children, true) + " " + n.stat(&r.Stat)
	case *records.SyncResponse:
		return n.path(r.Path)
	case *records.SetSASLResponse:
		return "token=" + data(r.Token)
	case *records.GetEphemeralsResponse:
		return n.paths(r.Ephemerals, true)
	case *records.GetAllChildrenNumberResponse:
		return strconv.Itoa(int(r.TotalNumber))
	case *records.ErrorResponse:
		return "err=" + wire.Code(r.Err).String()
	case *records.WhoAmIResponse:
		if r.ClientInfo == nil {
			return "null"
		}
		s := make([]string, len(r.ClientInfo))
		for i, ci := range r.ClientInfo {
			s[i] = ci.AuthScheme + ":" + ci.User
		}
		return "[" + strings.Join(s, " ") + "]"
	}
	return fmt.Sprintf("%T", rec)
}

func (n *norm) multi(res []wire.MultiResult) string {
	s := make([]string, len(res))
	for i, r := range res {
		if r.Op == wire.OpError {
			s[i] = "error " + r.Err.String()
			continue
		}
		s[i] = r.Op.String()
		if r.Err != wire.OK {
			s[i] += " hdr-err=" + r.Err.String()
		}
		if r.Record != nil {
			s[i] += " " + n.response(r.Record)
		}
	}
	return "{" + strings.Join(s, "; ") + "}"
}

// event renders one event from the server.
func (n *norm) event(ev *zkwire.Event) string {
	var b strings.Builder
	switch ev.Kind {
	case zkwire.KindClosed:
		// EOF and reset are the same to a client: the connection is gone.
		return "<- closed"
	case zkwire.KindNotification:
		fmt.Fprintf(&b, "<- notification %s %s %s zxid=%s", wire.EventType(ev.Watch.Type), n.path(ev.Watch.Path),
			stateName(ev.Watch.State), n.zxid(ev.Zxid))
		if ev.Err != wire.OK {
			b.WriteString(" hdr-err=" + ev.Err.String())
		}
	default:
		op := ev.Op.String()
		if !ev.Matched && ev.Op == wire.OpError {
			op = "unmatched"
		}
		z := n.zxid(ev.Zxid)
		if n.hideReplyZxids && ev.Zxid > 0 {
			z = "Z?"
		}
		fmt.Fprintf(&b, "<- [%d] %s %s zxid=%s", ev.Xid, op, ev.Err.String(), z)
		if ev.Body != nil {
			b.WriteString(" " + n.response(ev.Body))
		}
		if ev.Multi != nil {
			b.WriteString(" " + n.multi(ev.Multi))
		}
	}
	if ev.DecodeErr != nil {
		fmt.Fprintf(&b, " decode-error=%q", ev.DecodeErr.Error())
	}
	if len(ev.Extra) > 0 {
		fmt.Fprintf(&b, " extra=0x%x", ev.Extra)
	}
	return b.String()
}

// handshake renders a ConnectResponse.
func (n *norm) handshake(h *zkwire.Handshake, prevSession int64) string {
	r := &h.Response
	ro := "absent"
	if h.HasReadOnly {
		ro = strconv.FormatBool(r.ReadOnly)
	}
	sess := n.session(r.SessionID)
	if prevSession != 0 && r.SessionID == prevSession+1 && sess != "0" {
		sess += "(previous+1)"
	}
	pw := "other"
	switch {
	case r.Passwd == nil:
		pw = "null"
	case len(r.Passwd) == 16 && bytes.Equal(r.Passwd, make([]byte, 16)):
		pw = "zeros"
	case r.SessionID != 0 && bytes.Equal(r.Passwd, JavaPassword(r.SessionID)):
		pw = "java(session)"
	}
	return fmt.Sprintf("<- connected proto=%d timeout=%d session=%s passwd=%s(%d) readOnly=%s len=%d",
		r.ProtocolVersion, r.TimeOut, sess, pw, len(r.Passwd), ro, len(h.Raw))
}

// JavaPassword is the password Java ZooKeeper gives a session: 16 bytes of
// java.util.Random(sessionID ^ 0xB3415C00).nextBytes. Written here independently of the server's
// own implementation so the suite checks it rather than trusting it.
func JavaPassword(sessionID int64) []byte {
	seed := (uint64(sessionID) ^ 0xB3415C00 ^ 0x5DEECE66D) & (1<<48 - 1)
	next := func() int32 {
		seed = (seed*0x5DEECE66D + 0xB) & (1<<48 - 1)
		return int32(seed >> 16)
	}
	out := make([]byte, 16)
	for i := 0; i < len(out); {
		r := next()
		for k := 0; k < 4 && i < len(out); k++ {
			out[i] = byte(r)
			r >>= 8
			i++
		}
	}
	return out
}
