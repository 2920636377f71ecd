package proxy

import (
	"encoding/binary"
	"fmt"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// request is one decoded client frame after the handshake.
type request struct {
	Xid  int32
	Op   wire.Op
	Path string      // the path the request names ("" when it names none)
	Rec  jute.Record // decoded body; nil for bodiless ops, unknown ops, SASL and undecodable bodies
	// Multi holds the sub-operations of multi (14) and multiRead (22).
	Multi []wire.MultiOp
	// BodyErr is set when a known op's body did not decode. The frame is still forwarded:
	// the server answers MARSHALLINGERROR itself, and the proxy stays transparent.
	BodyErr error
	Size    int // frame size, length prefix included
}

// reply is one decoded server frame after the handshake.
type reply struct {
	Hdr     records.ReplyHeader
	Rec     jute.Record           // decoded success body (nil when err != 0 or the op has none)
	Multi   []wire.MultiResult    // multi / multiRead results
	Event   *records.WatcherEvent // set for notifications (xid -1)
	BodyErr error
	Size    int
}

// errShortHeader is a client frame too short for a RequestHeader; the server would fail to
// deserialize it and close the connection, so the proxy does the same.
type protocolError struct {
	Reason string // metric label: negative_length, oversize, short_header, bad_connect, ...
	Err    error
}

func (e *protocolError) Error() string { return "proxy: " + e.Reason + ": " + e.Err.Error() }

func (e *protocolError) Unwrap() error { return e.Err }

// decodeRequest decodes a client frame payload (without its length prefix). Only a payload
// too short for a RequestHeader is an error; a body that does not decode is recorded in
// BodyErr and the frame is forwarded as is.
func decodeRequest(payload []byte, max int) (request, error) {
	r := request{Size: len(payload) + 4}
	if len(payload) < 8 {
		return r, &protocolError{"short_header", fmt.Errorf("request frame of %d bytes is shorter than a RequestHeader", len(payload))}
	}
	r.Xid = int32(binary.BigEndian.Uint32(payload))
	r.Op = wire.Op(int32(binary.BigEndian.Uint32(payload[4:])))
	body := payload[8:]
	switch r.Op {
	case wire.OpSASL:
		// SASL tokens pass through opaque.
		return r, nil
	case wire.OpMulti, wire.OpMultiRead:
		d := jute.NewDecoder(body)
		d.MaxBuffer = max
		ops, err := wire.DecodeMulti(d)
		if err != nil {
			r.BodyErr = err
			return r, nil
		}
		r.Multi = ops
		if len(ops) > 0 {
			r.Path = recordPath(ops[0].Record)
		}
		return r, nil
	}
	rec := wire.NewRequest(r.Op)
	if rec == nil {
		return r, nil
	}
	d := jute.NewDecoder(body)
	d.MaxBuffer = max
	if err := rec.Decode(d); err != nil {
		r.BodyErr = fmt.Errorf("%s request: %w", r.Op, err)
		return r, nil
	}
	r.Rec = rec
	r.Path = recordPath(rec)
	return r, nil
}

// decodeReply decodes a server frame payload; op is the opcode of the request the reply
// answers (ignored for notifications).
func decodeReply(payload []byte, op wire.Op, max int) (reply, error) {
	r := reply{Size: len(payload) + 4}
	if op == wire.OpCreateSession && len(payload) >= 4 && int32(binary.BigEndian.Uint32(payload)) != wire.XidNotification {
		// A createSession request after the handshake gets a bare ConnectResponse.
		cr, _, err := wire.DecodeConnectResponse(payload)
		if err != nil {
			r.BodyErr = fmt.Errorf("createSession reply: %w", err)
		} else {
			r.Rec = &cr
		}
		return r, nil
	}
	d := jute.NewDecoder(payload)
	d.MaxBuffer = max
	if err := r.Hdr.Decode(d); err != nil {
		return r, fmt.Errorf("reply header: %w", err)
	}
	if r.Hdr.Xid == wire.XidNotification {
		ev := new(records.WatcherEvent)
		if err := ev.Decode(d); err != nil {
			r.BodyErr = fmt.Errorf("notification: %w", err)
			return r, nil
		}
		r.Event = ev
		return r, nil
	}
	if r.Hdr.Err != 0 || d.Remaining() == 0 {
		return r, nil
	}
	switch op {
	case wire.OpSASL:
		return r, nil
	case wire.OpMulti, wire.OpMultiRead:
		res, err := wire.DecodeMultiResponse(d)
		if err != nil {
			r.BodyErr = err
			return r, nil
		}
		r.Multi = res
		return r, nil
	}
	rec := wire.NewResponse(op)
	if rec == nil {
		return r, nil
	}
	if err := rec.Decode(d); err != nil {
		r.BodyErr = fmt.Errorf("%s reply: %w", op, err)
		return r, nil
	}
	r.Rec = rec
	return r, nil
}

// recordPath returns the path a request record names.
func recordPath(rec jute.Record) string {
	switch r := rec.(type) {
	case *records.CreateRequest:
		return r.Path
	case *records.CreateTTLRequest:
		return r.Path
	case *records.DeleteRequest:
		return r.Path
	case *records.DeleteContainerRequest:
		return r.Path
	case *records.ExistsRequest:
		return r.Path
	case *records.GetDataRequest:
		return r.Path
	case *records.SetDataRequest:
		return r.Path
	case *records.GetACLRequest:
		return r.Path
	case *records.SetACLRequest:
		return r.Path
	case *records.GetChildrenRequest:
		return r.Path
	case *records.GetChildren2Request:
		return r.Path
	case *records.SyncRequest:
		return r.Path
	case *records.CheckVersionRequest:
		return r.Path
	case *records.CheckWatchesRequest:
		return r.Path
	case *records.RemoveWatchesRequest:
		return r.Path
	case *records.GetEphemeralsRequest:
		return r.PrefixPath
	case *records.GetAllChildrenNumberRequest:
		return r.Path
	case *records.AddWatchRequest:
		return r.Path
	}
	return ""
}
