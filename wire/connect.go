package wire

import (
	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
)

// DecodeConnectRequest decodes the first client frame. Clients older than 3.4 send no
// readOnly byte: hasReadOnly is then false, and the reply must leave the byte out too
// (ZOOKEEPER-4814 restored this in 3.9.3).
func DecodeConnectRequest(frame []byte, max int) (req records.ConnectRequest, hasReadOnly bool, err error) {
	d := jute.NewDecoder(frame)
	d.MaxBuffer = max
	if req.ProtocolVersion, err = d.Int(); err != nil {
		return req, false, jute.FieldErr("ConnectRequest", "protocolVersion", err)
	}
	if req.LastZxidSeen, err = d.Long(); err != nil {
		return req, false, jute.FieldErr("ConnectRequest", "lastZxidSeen", err)
	}
	if req.TimeOut, err = d.Int(); err != nil {
		return req, false, jute.FieldErr("ConnectRequest", "timeOut", err)
	}
	if req.SessionID, err = d.Long(); err != nil {
		return req, false, jute.FieldErr("ConnectRequest", "sessionId", err)
	}
	if req.Passwd, err = d.Buffer(); err != nil {
		return req, false, jute.FieldErr("ConnectRequest", "passwd", err)
	}
	if d.Remaining() == 0 {
		return req, false, nil
	}
	if req.ReadOnly, err = d.Bool(); err != nil {
		return req, false, jute.FieldErr("ConnectRequest", "readOnly", err)
	}
	// Bytes after readOnly are ignored, as Java does.
	return req, true, nil
}

// AppendConnectResponse appends the framed ConnectResponse, with the readOnly byte only when
// withReadOnly (the client sent one).
func AppendConnectResponse(b []byte, resp *records.ConnectResponse, withReadOnly bool) []byte {
	n := resp.Size()
	if !withReadOnly {
		n--
	}
	b = jute.AppendInt(b, int32(n))
	b = jute.AppendInt(b, resp.ProtocolVersion)
	b = jute.AppendInt(b, resp.TimeOut)
	b = jute.AppendLong(b, resp.SessionID)
	b = jute.AppendBuffer(b, resp.Passwd)
	if withReadOnly {
		b = jute.AppendBool(b, resp.ReadOnly)
	}
	return b
}

// DecodeConnectResponse decodes a server's first frame, with or without the readOnly byte.
func DecodeConnectResponse(frame []byte) (resp records.ConnectResponse, hasReadOnly bool, err error) {
	d := jute.NewDecoder(frame)
	if resp.ProtocolVersion, err = d.Int(); err != nil {
		return resp, false, jute.FieldErr("ConnectResponse", "protocolVersion", err)
	}
	if resp.TimeOut, err = d.Int(); err != nil {
		return resp, false, jute.FieldErr("ConnectResponse", "timeOut", err)
	}
	if resp.SessionID, err = d.Long(); err != nil {
		return resp, false, jute.FieldErr("ConnectResponse", "sessionId", err)
	}
	if resp.Passwd, err = d.Buffer(); err != nil {
		return resp, false, jute.FieldErr("ConnectResponse", "passwd", err)
	}
	if d.Remaining() == 0 {
		return resp, false, nil
	}
	resp.ReadOnly, err = d.Bool()
	return resp, true, err
}
