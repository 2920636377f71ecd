package wire

import (
	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
)

// NewRequest returns an empty request record for op, or nil when op carries no body
// (ping, closeSession, whoAmI) or is multi/multiRead (see DecodeMulti).
func NewRequest(op Op) jute.Record {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer:
		return new(records.CreateRequest)
	case OpCreateTTL:
		return new(records.CreateTTLRequest)
	case OpDelete:
		return new(records.DeleteRequest)
	case OpDeleteContainer:
		return new(records.DeleteContainerRequest)
	case OpExists:
		return new(records.ExistsRequest)
	case OpGetData:
		return new(records.GetDataRequest)
	case OpSetData:
		return new(records.SetDataRequest)
	case OpGetACL:
		return new(records.GetACLRequest)
	case OpSetACL:
		return new(records.SetACLRequest)
	case OpGetChildren:
		return new(records.GetChildrenRequest)
	case OpGetChildren2:
		return new(records.GetChildren2Request)
	case OpSync:
		return new(records.SyncRequest)
	case OpCheck:
		return new(records.CheckVersionRequest)
	case OpReconfig:
		return new(ReconfigRequest)
	case OpCheckWatches:
		return new(records.CheckWatchesRequest)
	case OpRemoveWatches:
		return new(records.RemoveWatchesRequest)
	case OpAuth:
		return new(records.AuthPacket)
	case OpSetWatches:
		return new(records.SetWatches)
	case OpSetWatches2:
		return new(records.SetWatches2)
	case OpSASL:
		return new(records.GetSASLRequest)
	case OpGetEphemerals:
		return new(records.GetEphemeralsRequest)
	case OpGetAllChildrenNumber:
		return new(records.GetAllChildrenNumberRequest)
	case OpAddWatch:
		return new(records.AddWatchRequest)
	case OpCreateSession:
		return new(records.CreateSessionTxn)
	}
	return nil
}

// NewResponse returns an empty success-response record for op, or nil when op's success
// reply has no body.
func NewResponse(op Op) jute.Record {
	switch op {
	case OpCreate:
		return new(records.CreateResponse)
	case OpCreate2, OpCreateContainer, OpCreateTTL:
		return new(records.Create2Response)
	case OpExists:
		return new(records.ExistsResponse)
	case OpGetData, OpReconfig:
		return new(records.GetDataResponse)
	case OpSetData:
		return new(records.SetDataResponse)
	case OpGetACL:
		return new(records.GetACLResponse)
	case OpSetACL:
		return new(records.SetACLResponse)
	case OpGetChildren:
		return new(records.GetChildrenResponse)
	case OpGetChildren2:
		return new(records.GetChildren2Response)
	case OpSync:
		return new(records.SyncResponse)
	case OpSASL:
		return new(records.SetSASLResponse)
	case OpGetEphemerals:
		return new(records.GetEphemeralsResponse)
	case OpGetAllChildrenNumber:
		return new(records.GetAllChildrenNumberResponse)
	case OpAddWatch:
		return new(records.ErrorResponse)
	case OpWhoAmI:
		return new(records.WhoAmIResponse)
	}
	return nil
}
