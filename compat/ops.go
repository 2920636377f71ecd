package compat

import (
	"github.com/zkgo/zkgo/compat/zkwire"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// ACL shorthands.
var (
	OpenACL = []records.ACL{{Perms: wire.PermAll, ID: records.ID{Scheme: "world", ID: "anyone"}}}
	ReadACL = []records.ACL{{Perms: wire.PermRead, ID: records.ID{Scheme: "world", ID: "anyone"}}}
	AuthACL = []records.ACL{{Perms: wire.PermAll, ID: records.ID{Scheme: "auth", ID: ""}}}
)

// ACL builds one ACL entry.
func ACL(perms int32, scheme, id string) records.ACL {
	return records.ACL{Perms: perms, ID: records.ID{Scheme: scheme, ID: id}}
}

// Typed requests. Each records the request and everything that arrives up to its reply, and
// returns the reply (ok = a reply came).

// Create sends create (1) with the open ACL.
func (c *Client) Create(path, d string, flags int32) (zkwire.Event, bool) {
	return c.Call(wire.OpCreate, &records.CreateRequest{Path: path, Data: []byte(d), ACL: OpenACL, Flags: flags})
}

// CreateACL sends create (1) with an ACL.
func (c *Client) CreateACL(path, d string, acl []records.ACL, flags int32) (zkwire.Event, bool) {
	return c.Call(wire.OpCreate, &records.CreateRequest{Path: path, Data: []byte(d), ACL: acl, Flags: flags})
}

// Create2 sends create2 (15).
func (c *Client) Create2(path, d string, flags int32) (zkwire.Event, bool) {
	return c.Call(wire.OpCreate2, &records.CreateRequest{Path: path, Data: []byte(d), ACL: OpenACL, Flags: flags})
}

// CreateContainer sends createContainer (19).
func (c *Client) CreateContainer(path, d string) (zkwire.Event, bool) {
	return c.Call(wire.OpCreateContainer, &records.CreateRequest{Path: path, Data: []byte(d), ACL: OpenACL, Flags: wire.ModeContainer})
}

// CreateTTL sends createTTL (21).
func (c *Client) CreateTTL(path, d string, flags int32, ttl int64) (zkwire.Event, bool) {
	return c.Call(wire.OpCreateTTL, &records.CreateTTLRequest{Path: path, Data: []byte(d), ACL: OpenACL, Flags: flags, Ttl: ttl})
}

// Delete sends delete (2).
func (c *Client) Delete(path string, version int32) (zkwire.Event, bool) {
	return c.Call(wire.OpDelete, &records.DeleteRequest{Path: path, Version: version})
}

// Exists sends exists (3).
func (c *Client) Exists(path string, watch bool) (zkwire.Event, bool) {
	return c.Call(wire.OpExists, &records.ExistsRequest{Path: path, Watch: watch})
}

// GetData sends getData (4).
func (c *Client) GetData(path string, watch bool) (zkwire.Event, bool) {
	return c.Call(wire.OpGetData, &records.GetDataRequest{Path: path, Watch: watch})
}

// SetData sends setData (5).
func (c *Client) SetData(path, d string, version int32) (zkwire.Event, bool) {
	return c.Call(wire.OpSetData, &records.SetDataRequest{Path: path, Data: []byte(d), Version: version})
}

// GetACL sends getACL (6).
func (c *Client) GetACL(path string) (zkwire.Event, bool) {
	return c.Call(wire.OpGetACL, &records.GetACLRequest{Path: path})
}

// SetACL sends setACL (7).
func (c *Client) SetACL(path string, acl []records.ACL, version int32) (zkwire.Event, bool) {
	return c.Call(wire.OpSetACL, &records.SetACLRequest{Path: path, ACL: acl, Version: version})
}

// GetChildren sends getChildren (8).
func (c *Client) GetChildren(path string, watch bool) (zkwire.Event, bool) {
	return c.Call(wire.OpGetChildren, &records.GetChildrenRequest{Path: path, Watch: watch})
}

// GetChildren2 sends getChildren2 (12).
func (c *Client) GetChildren2(path string, watch bool) (zkwire.Event, bool) {
	return c.Call(wire.OpGetChildren2, &records.GetChildren2Request{Path: path, Watch: watch})
}

// SyncPath sends sync (9).
func (c *Client) SyncPath(path string) (zkwire.Event, bool) {
	return c.Call(wire.OpSync, &records.SyncRequest{Path: path})
}

// Ping sends a ping with xid -2.
func (c *Client) Ping() (zkwire.Event, bool) { return c.Do(wire.XidPing, wire.OpPing, nil) }

// Auth sends an auth packet (xid -4).
func (c *Client) Auth(scheme, auth string) (zkwire.Event, bool) {
	return c.Do(wire.XidAuth, wire.OpAuth, &records.AuthPacket{Scheme: scheme, Auth: []byte(auth)})
}

// SetWatches sends setWatches (101, xid -8).
func (c *Client) SetWatches(rel int64, dataW, existW, childW []string) (zkwire.Event, bool) {
	return c.Do(wire.XidSetWatches, wire.OpSetWatches, &records.SetWatches{
		RelativeZxid: rel, DataWatches: nz(dataW), ExistWatches: nz(existW), ChildWatches: nz(childW)})
}

// SetWatches2 sends setWatches2 (105, xid -8).
func (c *Client) SetWatches2(rel int64, dataW, existW, childW, persistent, recursive []string) (zkwire.Event, bool) {
	return c.Do(wire.XidSetWatches, wire.OpSetWatches2, &records.SetWatches2{
		RelativeZxid: rel, DataWatches: nz(dataW), ExistWatches: nz(existW), ChildWatches: nz(childW),
		PersistentWatches: nz(persistent), PersistentRecursiveWatches: nz(recursive)})
}

func nz(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// AddWatch sends addWatch (106).
func (c *Client) AddWatch(path string, mode int32) (zkwire.Event, bool) {
	return c.Call(wire.OpAddWatch, &records.AddWatchRequest{Path: path, Mode: mode})
}

// CheckWatches sends checkWatches (17).
func (c *Client) CheckWatches(path string, typ int32) (zkwire.Event, bool) {
	return c.Call(wire.OpCheckWatches, &records.CheckWatchesRequest{Path: path, Type: typ})
}

// RemoveWatches sends removeWatches (18).
func (c *Client) RemoveWatches(path string, typ int32) (zkwire.Event, bool) {
	return c.Call(wire.OpRemoveWatches, &records.RemoveWatchesRequest{Path: path, Type: typ})
}

// WhoAmI sends whoAmI (107).
func (c *Client) WhoAmI() (zkwire.Event, bool) { return c.Call(wire.OpWhoAmI, nil) }

// GetEphemerals sends getEphemerals (103).
func (c *Client) GetEphemerals(prefix string) (zkwire.Event, bool) {
	return c.Call(wire.OpGetEphemerals, &records.GetEphemeralsRequest{PrefixPath: prefix})
}

// GetAllChildrenNumber sends getAllChildrenNumber (104).
func (c *Client) GetAllChildrenNumber(path string) (zkwire.Event, bool) {
	return c.Call(wire.OpGetAllChildrenNumber, &records.GetAllChildrenNumberRequest{Path: path})
}

// Multi sends multi (14).
func (c *Client) Multi(ops ...wire.MultiOp) (zkwire.Event, bool) {
	return c.Call(wire.OpMulti, zkwire.MultiRecord(ops))
}

// MultiRead sends multiRead (22).
func (c *Client) MultiRead(ops ...wire.MultiOp) (zkwire.Event, bool) {
	return c.Call(wire.OpMultiRead, zkwire.MultiRecord(ops))
}

// CloseSession sends closeSession (-11), waits for its reply and records the close.
func (c *Client) CloseSession() {
	if _, ok := c.Call(wire.OpCloseSession, nil); ok {
		c.Events(1, ReplyTimeout) // the server closes the connection after the reply
	}
	c.ended = true
	c.s.markEnded(c.sid)
}

// End closes the session without recording anything (for sessions whose transcript is done,
// such as the short-timeout sessions of the negotiation scenarios, which must not expire and
// show a close later).
func (c *Client) End() {
	if c.c != nil && !c.dead && !c.ended && c.sid != 0 {
		closeQuietly(c.c)
		c.c.Close()
	}
	c.dead, c.ended = true, true
	c.s.markEnded(c.sid)
}

// Multi op constructors.

// MCreate is a create op inside a multi.
func MCreate(op wire.Op, path, d string, flags int32) wire.MultiOp {
	return wire.MultiOp{Op: op, Record: &records.CreateRequest{Path: path, Data: []byte(d), ACL: OpenACL, Flags: flags}}
}

// MCreateTTL is a createTTL op inside a multi.
func MCreateTTL(path, d string, flags int32, ttl int64) wire.MultiOp {
	return wire.MultiOp{Op: wire.OpCreateTTL, Record: &records.CreateTTLRequest{Path: path, Data: []byte(d), ACL: OpenACL, Flags: flags, Ttl: ttl}}
}

// MDelete is a delete op inside a multi.
func MDelete(path string, version int32) wire.MultiOp {
	return wire.MultiOp{Op: wire.OpDelete, Record: &records.DeleteRequest{Path: path, Version: version}}
}

// MSetData is a setData op inside a multi.
func MSetData(path, d string, version int32) wire.MultiOp {
	return wire.MultiOp{Op: wire.OpSetData, Record: &records.SetDataRequest{Path: path, Data: []byte(d), Version: version}}
}

// MCheck is a check op inside a multi.
func MCheck(path string, version int32) wire.MultiOp {
	return wire.MultiOp{Op: wire.OpCheck, Record: &records.CheckVersionRequest{Path: path, Version: version}}
}

// MGetData is a getData op inside a multiRead.
func MGetData(path string) wire.MultiOp {
	return wire.MultiOp{Op: wire.OpGetData, Record: &records.GetDataRequest{Path: path}}
}

// MGetChildren is a getChildren op inside a multiRead.
func MGetChildren(path string) wire.MultiOp {
	return wire.MultiOp{Op: wire.OpGetChildren, Record: &records.GetChildrenRequest{Path: path}}
}
