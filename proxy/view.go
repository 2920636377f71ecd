package proxy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// A view is a decoded record as an ordered tree, written as JSON in reports and walked by
// the cross-check comparison. Leaves carry types that say how to compare them:
// zxidV (by first-seen order unless --exact-zxid), timeV (never compared), ownerV (through
// the session map), sessV and passwdV (never compared), bytesV (exactly), setV (order
// ignored: children, ephemerals, ACLs).

type field struct {
	K string
	V any
}

type obj []field

type (
	zxidV   int64
	timeV   int64
	ownerV  int64
	sessV   int64
	passwdV []byte
	bytesV  []byte
	setV    []any
)

func (o obj) get(k string) any {
	for _, f := range o {
		if f.K == k {
			return f.V
		}
	}
	return nil
}

// MarshalJSON writes the fields in order.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.K)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(f.V)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (z zxidV) MarshalJSON() ([]byte, error) {
	return json.Marshal(fmt.Sprintf("0x%x", int64(z)))
}

func (s sessV) MarshalJSON() ([]byte, error)  { return json.Marshal(hexID(int64(s))) }
func (s ownerV) MarshalJSON() ([]byte, error) { return json.Marshal(hexID(int64(s))) }
func (p passwdV) MarshalJSON() ([]byte, error) {
	return json.Marshal(base64.StdEncoding.EncodeToString(p))
}

// bytesV is written as a string when it is printable UTF-8, else as "base64:...".
func (b bytesV) MarshalJSON() ([]byte, error) {
	if b == nil {
		return []byte("null"), nil
	}
	return json.Marshal(renderBytes(b))
}

func renderBytes(b []byte) string {
	if utf8.Valid(b) {
		printable := true
		for _, r := range string(b) {
			if r < 0x20 && r != '\n' && r != '\t' {
				printable = false
				break
			}
		}
		if printable {
			return string(b)
		}
	}
	return "base64:" + base64.StdEncoding.EncodeToString(b)
}

func strs(v []string) setV {
	if v == nil {
		return nil
	}
	out := make(setV, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

func statView(s *records.Stat) obj {
	return obj{
		{"czxid", zxidV(s.Czxid)}, {"mzxid", zxidV(s.Mzxid)},
		{"ctime", timeV(s.Ctime)}, {"mtime", timeV(s.Mtime)},
		{"version", int64(s.Version)}, {"cversion", int64(s.Cversion)}, {"aversion", int64(s.Aversion)},
		{"ephemeralOwner", ownerV(s.EphemeralOwner)},
		{"dataLength", int64(s.DataLength)}, {"numChildren", int64(s.NumChildren)},
		{"pzxid", zxidV(s.Pzxid)},
	}
}

func aclView(acl []records.ACL) any {
	if acl == nil {
		return nil
	}
	out := make(setV, len(acl))
	for i, a := range acl {
		out[i] = obj{{"perms", int64(a.Perms)}, {"scheme", a.ID.Scheme}, {"id", a.ID.ID}}
	}
	return out
}

// recordView converts a request or response record to a view.
func recordView(rec jute.Record) any {
	switch r := rec.(type) {
	case nil:
		return nil
	case *records.CreateRequest:
		return obj{{"path", r.Path}, {"data", bytesV(r.Data)}, {"acl", aclView(r.ACL)}, {"flags", int64(r.Flags)}}
	case *records.CreateTTLRequest:
		return obj{{"path", r.Path}, {"data", bytesV(r.Data)}, {"acl", aclView(r.ACL)}, {"flags", int64(r.Flags)}, {"ttl", r.Ttl}}
	case *records.DeleteRequest:
		return obj{{"path", r.Path}, {"version", int64(r.Version)}}
	case *records.DeleteContainerRequest:
		return obj{{"path", r.Path}}
	case *records.ExistsRequest:
		return obj{{"path", r.Path}, {"watch", r.Watch}}
	case *records.GetDataRequest:
		return obj{{"path", r.Path}, {"watch", r.Watch}}
	case *records.SetDataRequest:
		return obj{{"path", r.Path}, {"data", bytesV(r.Data)}, {"version", int64(r.Version)}}
	case *records.GetACLRequest:
		return obj{{"path", r.Path}}
	case *records.SetACLRequest:
		return obj{{"path", r.Path}, {"acl", aclView(r.ACL)}, {"version", int64(r.Version)}}
	case *records.GetChildrenRequest:
		return obj{{"path", r.Path}, {"watch", r.Watch}}
	case *records.GetChildren2Request:
		return obj{{"path", r.Path}, {"watch", r.Watch}}
	case *records.SyncRequest:
		return obj{{"path", r.Path}}
	case *records.CheckVersionRequest:
		return obj{{"path", r.Path}, {"version", int64(r.Version)}}
	case *records.ReconfigRequest:
		return obj{{"joiningServers", r.JoiningServers}, {"leavingServers", r.LeavingServers}, {"newMembers", r.NewMembers}, {"curConfigId", r.CurConfigID}}
	case *records.CheckWatchesRequest:
		return obj{{"path", r.Path}, {"type", int64(r.Type)}}
	case *records.RemoveWatchesRequest:
		return obj{{"path", r.Path}, {"type", int64(r.Type)}}
	case *records.AuthPacket:
		// Credentials never reach a report.
		return obj{{"type", int64(r.Type)}, {"scheme", r.Scheme}, {"authLength", int64(len(r.Auth))}}
	case *records.SetWatches:
		return obj{{"relativeZxid", zxidV(r.RelativeZxid)}, {"dataWatches", strs(r.DataWatches)}, {"existWatches", strs(r.ExistWatches)}, {"childWatches", strs(r.ChildWatches)}}
	case *records.SetWatches2:
		return obj{{"relativeZxid", zxidV(r.RelativeZxid)}, {"dataWatches", strs(r.DataWatches)}, {"existWatches", strs(r.ExistWatches)}, {"childWatches", strs(r.ChildWatches)},
			{"persistentWatches", strs(r.PersistentWatches)}, {"persistentRecursiveWatches", strs(r.PersistentRecursiveWatches)}}
	case *records.GetEphemeralsRequest:
		return obj{{"prefixPath", r.PrefixPath}}
	case *records.GetAllChildrenNumberRequest:
		return obj{{"path", r.Path}}
	case *records.AddWatchRequest:
		return obj{{"path", r.Path}, {"mode", int64(r.Mode)}}

	case *records.CreateResponse:
		return obj{{"path", r.Path}}
	case *records.Create2Response:
		return obj{{"path", r.Path}, {"stat", statView(&r.Stat)}}
	case *records.ExistsResponse:
		return obj{{"stat", statView(&r.Stat)}}
	case *records.GetDataResponse:
		return obj{{"data", bytesV(r.Data)}, {"stat", statView(&r.Stat)}}
	case *records.SetDataResponse:
		return obj{{"stat", statView(&r.Stat)}}
	case *records.GetACLResponse:
		return obj{{"acl", aclView(r.ACL)}, {"stat", statView(&r.Stat)}}
	case *records.SetACLResponse:
		return obj{{"stat", statView(&r.Stat)}}
	case *records.GetChildrenResponse:
		return obj{{"children", strs(r.Children)}}
	case *records.GetChildren2Response:
		return obj{{"children", strs(r.Children)}, {"stat", statView(&r.Stat)}}
	case *records.SyncResponse:
		return obj{{"path", r.Path}}
	case *records.GetEphemeralsResponse:
		return obj{{"ephemerals", strs(r.Ephemerals)}}
	case *records.GetAllChildrenNumberResponse:
		return obj{{"totalNumber", int64(r.TotalNumber)}}
	case *records.ErrorResponse:
		return obj{{"err", wire.Code(r.Err).String()}}
	case *records.WhoAmIResponse:
		out := make(setV, len(r.ClientInfo))
		for i, ci := range r.ClientInfo {
			out[i] = obj{{"authScheme", ci.AuthScheme}, {"user", ci.User}}
		}
		return obj{{"clientInfo", out}}
	case *records.SetSASLResponse:
		return obj{{"tokenLength", int64(len(r.Token))}}
	case *records.ConnectResponse:
		return connectResponseView(r, true)
	case *records.WatcherEvent:
		return obj{{"type", wire.EventType(r.Type).String()}, {"state", int64(r.State)}, {"path", r.Path}}
	}
	return fmt.Sprintf("%T", rec)
}

// requestView is the JSON of a decoded request.
func requestView(r *request) obj {
	o := obj{{"xid", int64(r.Xid)}, {"op", opLabel(r.Op)}}
	if !r.Op.Known() {
		o = append(o, field{"opcode", int64(r.Op)})
	}
	switch {
	case r.Multi != nil:
		ops := make([]any, len(r.Multi))
		for i, m := range r.Multi {
			ops[i] = obj{{"op", opLabel(m.Op)}, {"request", recordView(m.Record)}}
		}
		o = append(o, field{"ops", ops})
	case r.Rec != nil:
		o = append(o, field{"request", recordView(r.Rec)})
	}
	if r.BodyErr != nil {
		o = append(o, field{"decodeError", r.BodyErr.Error()})
	}
	return o
}

// replyView is the JSON of a decoded reply: header fields, then the body.
func replyView(r *reply) obj {
	o := obj{{"xid", int64(r.Hdr.Xid)}, {"zxid", zxidV(r.Hdr.Zxid)}, {"err", wire.Code(r.Hdr.Err).String()}}
	switch {
	case r.Event != nil:
		o = append(o, field{"event", recordView(r.Event)})
	case r.Multi != nil:
		o = append(o, field{"results", multiView(r.Multi)})
	case r.Rec != nil:
		o = append(o, field{"body", recordView(r.Rec)})
	}
	if r.BodyErr != nil {
		o = append(o, field{"decodeError", r.BodyErr.Error()})
	}
	return o
}

func multiView(rs []wire.MultiResult) []any {
	res := make([]any, len(rs))
	for i, m := range rs {
		e := obj{{"op", opLabel(m.Op)}, {"err", m.Err.String()}}
		if m.Record != nil {
			e = append(e, field{"result", recordView(m.Record)})
		}
		res[i] = e
	}
	return res
}

func connectResponseView(c *records.ConnectResponse, hasRO bool) obj {
	o := obj{{"protocolVersion", int64(c.ProtocolVersion)}, {"timeOut", int64(c.TimeOut)}, {"sessionId", sessV(c.SessionID)}, {"passwd", passwdV(c.Passwd)}}
	if hasRO {
		o = append(o, field{"readOnly", c.ReadOnly})
	}
	return o
}

// render formats a view leaf or subtree compactly for difference descriptions.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case bytesV:
		return strconv.Quote(renderBytes(x))
	case zxidV:
		return fmt.Sprintf("0x%x", int64(x))
	case ownerV:
		return hexID(int64(x))
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
