package wire

import (
	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
)

// ReconfigRequest is the reconfig (16) request body, records.ReconfigRequest with null
// strings kept apart from empty ones: Java tells a non-incremental reconfig by
// newMembers != null, so "" and null mean different requests and a forwarded request must
// keep which it was.
type ReconfigRequest struct {
	records.ReconfigRequest
	NullJoining, NullLeaving, NullNewMembers bool
}

func optString(s string, null bool) int {
	if null {
		return 4
	}
	return jute.StringSize(s)
}

func appendOptString(b []byte, s string, null bool) []byte {
	if null {
		return jute.AppendInt(b, -1)
	}
	return jute.AppendString(b, s)
}

// Size implements jute.Record.
func (r *ReconfigRequest) Size() int {
	return optString(r.JoiningServers, r.NullJoining) + optString(r.LeavingServers, r.NullLeaving) +
		optString(r.NewMembers, r.NullNewMembers) + 8
}

// Append implements jute.Record.
func (r *ReconfigRequest) Append(b []byte) []byte {
	b = appendOptString(b, r.JoiningServers, r.NullJoining)
	b = appendOptString(b, r.LeavingServers, r.NullLeaving)
	b = appendOptString(b, r.NewMembers, r.NullNewMembers)
	return jute.AppendLong(b, r.CurConfigID)
}

// Decode implements jute.Record.
func (r *ReconfigRequest) Decode(d *jute.Decoder) error {
	for _, f := range []struct {
		s    *string
		null *bool
	}{{&r.JoiningServers, &r.NullJoining}, {&r.LeavingServers, &r.NullLeaving}, {&r.NewMembers, &r.NullNewMembers}} {
		before := d.NullStrings
		v, err := d.String()
		if err != nil {
			return err
		}
		*f.s, *f.null = v, d.NullStrings > before
	}
	v, err := d.Long()
	if err != nil {
		return err
	}
	r.CurConfigID = v
	return nil
}
